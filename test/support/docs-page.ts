import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from './chromium';
import { startExampleApp, type ExampleApp } from './example-app';

// Swagger UI's markup: an operation is #operations-<tag>-<operationId>, a tag's heading #operations-tag-<tag>; an
// operation's documented responses are rows by code, the answer to a tried request a row of its live table.
export const operationOf = (tag: string, operationId: string): string => `#operations-${tag}-${operationId}`;
export const documentedResponse = (operation: string, code: number): string =>
  `${operation} .responses-table tr.response[data-code="${code}"]`;
export const liveResponse = (operation: string): string => `${operation} .live-responses-table tbody tr.response`;

/** The example service (test/support/example: keel with the generator's example resources) over HTTP on 127.0.0.1, port 0. */
export interface DocsServer {
  readonly example: ExampleApp;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  close(): Promise<void>;
}

export async function startDocsServer(): Promise<DocsServer> {
  const example = await startExampleApp();
  const server = http.createServer(example.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    example,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await example.close();
    },
  };
}

/** Opens the page at origin/docs, and waits until Swagger UI lists the operation. */
export async function openDocs(page: Page, origin: string, operation: string): Promise<void> {
  await page.goto(`${origin}/docs`);
  await page.waitFor(`document.querySelector(${JSON.stringify(operation)})`, `Swagger UI to list ${operation}`);
}

/**
 * Opens the operation's section, as a person clicks its summary line, and waits for its responses table. Already
 * open after a reload (deep linking: the URL names the operation last opened), it is left so.
 */
export async function expand(page: Page, operation: string): Promise<void> {
  if (!(await page.evaluate<boolean>(`Boolean(document.querySelector(${JSON.stringify(`${operation}.is-open`)}))`))) {
    await page.click(`${operation} .opblock-summary-control`);
  }
  await page.waitFor(`document.querySelector(${JSON.stringify(`${operation} .responses-table`)})`, `the responses of ${operation}`);
}

/**
 * "Try it out", then Execute, with the id typed in when the operation takes one; waits for the answer on the page.
 * A press that lands while the page moves under it does nothing (after a reload, Swagger UI's deep link scrolls to
 * the operation once the document has loaded): as a person would, it presses again while the button still says
 * "Try it out" and no form has come, until the wait's bound.
 */
export async function tryItOut(page: Page, operation: string, id?: string): Promise<void> {
  const offered = `${operation} .try-out__btn:not(.cancel):not(.reset)`;
  const execute = `${operation} .btn.execute`;
  const deadline = Date.now() + 30_000;
  await page.click(offered);
  for (;;) {
    try {
      // Swagger UI renders the form after the click: on a busy machine, not before the next line runs.
      await page.waitFor(`document.querySelector(${JSON.stringify(execute)})`, `the Execute button of ${operation}`, 5_000);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    // "Cancel" in its place: the press was taken and the form is on its way; "Try it out" still: it was not.
    if (await page.evaluate<boolean>(`Boolean(document.querySelector(${JSON.stringify(offered)}))`)) await page.click(offered);
  }
  if (id !== undefined) await page.type(`${operation} tr[data-param-name="id"] input`, id);
  await page.click(execute);
  await page.waitFor(`document.querySelector(${JSON.stringify(liveResponse(operation))})`, `the answer to ${operation}`);
}

/**
 * Authorize: the token typed into a scheme's field (the first scheme's, unless named: metricsToken, bearerAuth),
 * authorized, the dialog closed. The dialog lists each scheme in a box of its own, with its own buttons.
 */
export async function authorize(page: Page, token: string, scheme?: string): Promise<void> {
  await page.click('.auth-wrapper .btn.authorize');
  let box = '.auth-container';
  if (scheme !== undefined) {
    // CSS cannot select by text: the box whose heading names the scheme is marked, then selected by the mark.
    const marked = await page.evaluate<boolean>(`(() => {
      const box = [...document.querySelectorAll('.auth-container')].find((c) => c.querySelector('h4')?.textContent.includes(${JSON.stringify(scheme)}));
      box?.setAttribute('data-scheme', ${JSON.stringify(scheme)});
      return Boolean(box);
    })()`);
    if (!marked) throw new Error(`the Authorize dialog lists no scheme ${scheme}`);
    box = `.auth-container[data-scheme="${scheme}"]`;
  }
  await page.type(`${box} input[type="text"]`, token);
  await page.click(`${box} .btn.modal-btn.authorize`);
  await page.click(`${box} .btn.modal-btn.btn-done`);
}
