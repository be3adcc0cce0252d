import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { launchChromium, type Chromium, type Page } from '../support/chromium';
import {
  authorize,
  documentedResponse,
  expand,
  liveResponse,
  openDocs,
  operationOf,
  startDocsServer,
  tryItOut,
  type DocsServer,
} from '../support/docs-page';

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
const TOKEN = 'docs-page-token-0123456789';

const GET_WIDGET = operationOf('widgets', 'getWidget');
const GET_METRICS = operationOf('meta', 'getMetrics');

/** A request the page made that did not stay on the machine's loopback address, where keel listens. */
function requestsElsewhere(page: Page): string[] {
  return page.record.requests
    .map(({ url }) => url)
    .filter((url) => {
      const { protocol, hostname } = new URL(url);
      // An image of Swagger UI's stylesheet, written out in the URL: nothing is fetched.
      if (protocol === 'data:') return false;
      return protocol !== 'http:' || hostname !== '127.0.0.1';
    });
}

/**
 * The page showed no console error and no CSP violation, and fetched nothing from elsewhere. The browser's own line
 * for an error status is expected of a request a person tried and that keel answered with one.
 */
function expectAClean(page: Page, tried: readonly { url: string; status: string }[] = []): void {
  const expected = tried.map(
    ({ url, status }) => `network: Failed to load resource: the server responded with a status of ${status} (${url})`,
  );
  expect(
    page.record.errors.filter((error) => !expected.includes(error)),
    'console errors',
  ).to.deep.equal([]);
  expect(page.record.cspViolations, 'CSP violations').to.deep.equal([]);
  expect(requestsElsewhere(page), 'requests that left 127.0.0.1').to.deep.equal([]);
}

describe('GET /docs', function () {
  // Chromium's start and Swagger UI's first render on a busy machine; each wait below has its own bound too.
  this.timeout(120_000);
  let server: DocsServer;
  let origin: string;
  let chromium: Chromium;
  let page: Page;

  before(async () => {
    server = await startDocsServer();
    origin = server.origin;
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await server?.close();
  });

  beforeEach(async () => {
    page = await chromium.newPage();
    await openDocs(page, origin, GET_WIDGET);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      // What the page showed when the test failed, for whoever reads the failure (CI keeps the machine's /tmp).
      const file = path.join(os.tmpdir(), `keel-docs-page-${Date.now()}.png`);
      fs.writeFileSync(file, await page.screenshot());
      console.log(`      the page when it failed: ${file}\n      what it recorded: ${JSON.stringify(page.record.errors)}`);
    }
    await page?.close();
  });

  it('lists /widgets/{id} with its 404 and 400 responses when a person opens it, every request to 127.0.0.1, no console error, no CSP violation', async () => {
    await expand(page, GET_WIDGET);

    expect(await page.text(`${GET_WIDGET} .opblock-summary-path`)).to.equal('/widgets/{id}');
    expect(await page.text(documentedResponse(GET_WIDGET, 404))).to.include('No resource exists at this path.');
    expect(await page.text(documentedResponse(GET_WIDGET, 400))).to.include('invalid_request');
    expect(await page.text('.info .title')).to.include('keel');
    expect(page.record.requests.map(({ url }) => new URL(url).pathname)).to.include.members([
      '/docs',
      '/docs/swagger-ui.css',
      '/docs/swagger-ui-bundle.js',
      '/docs/init.js',
      '/openapi.json',
    ]);
    expectAClean(page);
  });

  it('shows the 404 problem body and its X-Request-Id when a person authorized tries GET /widgets/{id} with an unknown id', async () => {
    await authorize(page, await server.example.token({ sub: 'alice' }), 'bearerAuth');
    await expand(page, GET_WIDGET);

    await tryItOut(page, GET_WIDGET, UNKNOWN_ID);

    const answer = liveResponse(GET_WIDGET);
    expect(await page.text(`${answer} .response-col_status`)).to.equal('404');
    const body = JSON.parse(await page.text(`${answer} .response-col_description .microlight`)) as Record<string, unknown>;
    expect(body).to.include({ status: 404, code: 'not_found' });
    const requestId = /x-request-id: (\S+)/.exec(await page.text(`${answer} .response-col_description`))?.[1];
    expect(requestId, 'the X-Request-Id header, listed with the response').to.equal(body.requestId);
    expect(page.record.requests.map(({ url }) => url)).to.include(`${origin}/widgets/${UNKNOWN_ID}`);
    expectAClean(page, [{ url: `${origin}/widgets/${UNKNOWN_ID}`, status: '404 (Not Found)' }]);
  });

  it('sends the bearer token given to Authorize with a tried request, and forgets it when the page reloads (persistAuthorization off)', async () => {
    await authorize(page, TOKEN);
    await expand(page, GET_METRICS);
    await tryItOut(page, GET_METRICS);

    const tried = page.record.requests.filter(({ url }) => url === `${origin}/metrics`);
    expect(tried.map(({ headers }) => headers.Authorization)).to.deep.equal([`Bearer ${TOKEN}`]);
    expect(await page.evaluate<number>('localStorage.length'), 'nothing kept in localStorage').to.equal(0);

    await page.reload();
    await page.waitFor(`document.querySelector(${JSON.stringify(GET_METRICS)})`, 'Swagger UI after the reload');
    await expand(page, GET_METRICS);
    await tryItOut(page, GET_METRICS);

    const afterReload = page.record.requests.filter(({ url }) => url === `${origin}/metrics`).slice(1);
    expect(afterReload.map(({ headers }) => headers.Authorization)).to.deep.equal([undefined]);
    // The example app serves no metrics (createApp was given none): /metrics is off, a 404 as the document says.
    expectAClean(page, [{ url: `${origin}/metrics`, status: '404 (Not Found)' }]);
  });

  it('reports errors, CSP violations and a request off 127.0.0.1 when the page runs an inline script and loads an image from another origin (the checks have teeth)', async () => {
    const elsewhere = `http://localhost:${new URL(origin).port}/docs/favicon-32x32.png`;

    await page.evaluate(`(() => {
      const script = document.createElement('script');
      script.textContent = 'window.ran = true';
      document.body.append(script);
      const image = document.createElement('img');
      image.src = ${JSON.stringify(elsewhere)};
      document.body.append(image);
    })()`);
    await page.until((record) => record.cspViolations.length >= 2 && record.errors.length >= 2, 'two CSP violations, and their errors');

    expect(await page.evaluate('window.ran === true'), 'the inline script ran').to.equal(false);
    expect(page.record.cspViolations.join('\n'))
      .to.include('script-src-elem refused inline')
      .and.to.include(`img-src refused ${elsewhere}`);
    expect(page.record.errors.join('\n'))
      .to.include('Executing inline script violates')
      .and.to.include(`Loading the image '${elsewhere}' violates`);
    expect(requestsElsewhere(page), 'asked for, though the policy blocked it').to.deep.equal([elsewhere]);
  });
});
