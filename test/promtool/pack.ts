// The operator's pack (docs/monitoring/) as the tests read it: the dashboard's queries, the rules'
// expressions, and what an expression names that a running keel does not export.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../config/project';
import { expressionNames } from '../support/promql';

export const MONITORING = path.join(projectRoot(), 'docs', 'monitoring');
export const RULES_FILE = path.join(MONITORING, 'alerts.yml');
export const RULE_TESTS_FILE = path.join(MONITORING, 'alerts.test.yml');
export const DASHBOARD_FILE = path.join(MONITORING, 'grafana-dashboard.json');

export interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export const readRules = (): Rule[] =>
  (parse(fs.readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);

interface AlertTest {
  readonly alertname: string;
  readonly exp_alerts?: readonly unknown[];
}

/** Each alert's unit test evaluations: how many expect it firing, and how many expect silence. */
export function alertTestCoverage(): Map<string, { fires: number; quiet: number }> {
  const file = parse(fs.readFileSync(RULE_TESTS_FILE, 'utf8')) as { tests: { alert_rule_test?: AlertTest[] }[] };
  const coverage = new Map<string, { fires: number; quiet: number }>();
  for (const evaluation of file.tests.flatMap((test) => test.alert_rule_test ?? [])) {
    const counts = coverage.get(evaluation.alertname) ?? { fires: 0, quiet: 0 };
    if ((evaluation.exp_alerts ?? []).length > 0) counts.fires += 1;
    else counts.quiet += 1;
    coverage.set(evaluation.alertname, counts);
  }
  return coverage;
}

interface Panel {
  readonly title?: string;
  readonly type: string;
  readonly datasource?: { uid?: string };
  readonly targets?: readonly { expr: string; datasource?: { uid?: string } }[];
  readonly panels?: readonly Panel[];
}

export interface Dashboard {
  readonly panels: readonly Panel[];
  readonly templating: { list: readonly { name: string; type: string; datasource?: { uid?: string }; query?: unknown }[] };
}

export const readDashboard = (): Dashboard => JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;

export const allPanels = (dashboard: Dashboard): Panel[] => dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);

/** Every PromQL query of the dashboard, named for messages: the panels' targets and the variables' label_values() selectors. */
export function dashboardQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  const targets = allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target, index) => ({ where: `panel "${panel.title ?? panel.type}" query ${index + 1}`, expr: target.expr })),
  );
  const variables = dashboard.templating.list.flatMap((variable) => {
    const query =
      typeof variable.query === 'object' && variable.query !== null ? (variable.query as { query?: string }).query : variable.query;
    const match = typeof query === 'string' ? /^label_values\((.*),\s*(\w+)\)$/.exec(query) : null;
    return match ? [{ where: `variable $${variable.name}`, expr: match[1] as string }] : [];
  });
  return [...targets, ...variables];
}

/** Grafana's variables replaced by values Prometheus accepts, so promtool can parse the query. */
export const withoutGrafanaVariables = (expr: string): string =>
  expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{?job\}?/g, 'keel')
    .replace(/\$\{?\w+\}?/g, '.*');

/** Labels a Prometheus server adds to every scraped series (the target's), which /metrics itself never carries. */
const TARGET_LABELS = new Set(['job', 'instance']);
/** Series Prometheus makes itself for each target. */
const SCRAPE_SERIES = new Map([['up', new Set(TARGET_LABELS)]]);
/** Labels whose values come from the traffic (a 503 or a problem code appear only when one was answered): only the name is checked. */
const TRAFFIC_LABELS = new Set(['status', 'code', 'method']);

/**
 * What in one expression a keel scrape does not have: metric names that are neither sampled in the
 * scrape nor recorded by the rules (a histogram is sampled as its _bucket, _sum and _count series,
 * and an expression must name one of those: the histogram's own name selects nothing); label names
 * that the metric does not carry; and values of = matchers that it never had (traffic labels aside).
 */
export function unknownNames(
  expr: string,
  exported: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>,
  recorded: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const { selectors, groupingLabels } = expressionNames(expr);
  const labelsInScope = new Set(TARGET_LABELS);
  for (const { metric, matchers } of selectors) {
    if (metric === undefined) {
      problems.push('a selector without a metric name');
      continue;
    }
    if (recorded.has(metric)) continue;
    const scrapeLabels = SCRAPE_SERIES.get(metric);
    const labels =
      exported.get(metric) ?? (scrapeLabels ? new Map([...scrapeLabels].map((label) => [label, new Set<string>()])) : undefined);
    if (!labels) {
      problems.push(`metric ${metric} is not in the scrape`);
      continue;
    }
    for (const label of labels.keys()) labelsInScope.add(label);
    for (const { label, op, value } of matchers) {
      if (TARGET_LABELS.has(label)) continue;
      const values = labels.get(label);
      if (!values) problems.push(`${metric} has no label ${label}`);
      else if (op === '=' && !TRAFFIC_LABELS.has(label) && !values.has(value)) problems.push(`${metric}{${label}="${value}"} never occurs`);
    }
  }
  for (const label of groupingLabels) if (!labelsInScope.has(label)) problems.push(`grouping label ${label} is on none of its metrics`);
  return problems;
}
