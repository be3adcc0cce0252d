import { expect } from 'chai';
import { expressionNames } from '../support/promql';

describe('expressionNames (test/support/promql.ts)', () => {
  it('finds each selector with its matchers, skipping functions, aggregations, ranges and numbers', () => {
    const names = expressionNames(
      'histogram_quantile(0.99, sum by (route, le) (rate(http_request_duration_seconds_bucket{job="keel", route!~"/health.*"}[5m]))) > 0.5',
    );

    expect(names.selectors).to.deep.equal([
      {
        metric: 'http_request_duration_seconds_bucket',
        matchers: [
          { label: 'job', op: '=', value: 'keel' },
          { label: 'route', op: '!~', value: '/health.*' },
        ],
      },
    ]);
    expect(names.groupingLabels).to.deep.equal(['route', 'le']);
  });

  it('reads bare metric names, recording rules, binary operators and grouping after the aggregation', () => {
    const names = expressionNames("sum(up) without (instance) == 0 or keel:ratio_rate5m > (14.4 * 0.01) and on (job) x{a='b'}");

    expect(names.selectors.map((selector) => selector.metric)).to.deep.equal(['up', 'keel:ratio_rate5m', 'x']);
    expect(names.groupingLabels).to.deep.equal(['instance', 'job']);
    expect(names.selectors[2]?.matchers).to.deep.equal([{ label: 'a', op: '=', value: 'b' }]);
  });

  it('reads a selector of matchers only', () => {
    expect(expressionNames('{__name__="up", job="keel"}').selectors).to.deep.equal([
      {
        metric: undefined,
        matchers: [
          { label: '__name__', op: '=', value: 'up' },
          { label: 'job', op: '=', value: 'keel' },
        ],
      },
    ]);
  });
});
