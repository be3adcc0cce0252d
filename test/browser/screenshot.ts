// Writes docs/api-docs-page.png, the picture of /docs in docs/api.md: the page as a person sees it once they have
// authorized and tried GET /widgets/{id} with an unknown id, over the example service (test/support/example) in headless Chromium.
// `npm run docs:screenshot`.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../config/project';
import { launchChromium } from '../support/chromium';
import { startTestDatabase, stopTestDatabase } from '../support/database';
import { authorize, expand, liveResponse, openDocs, operationOf, startDocsServer, tryItOut } from '../support/docs-page';

const FILE = path.join(projectRoot(), 'docs', 'api-docs-page.png');
const WIDTH = 1200;
const GET_WIDGET = operationOf('widgets', 'getWidget');

async function main(): Promise<void> {
  await startTestDatabase();
  const server = await startDocsServer();
  const chromium = await launchChromium();
  try {
    const page = await chromium.newPage(WIDTH, 900);
    await openDocs(page, server.origin, GET_WIDGET);
    // keel's own sections folded, as a person looking for their resource would: the widgets come up under the header.
    for (const tag of ['health', 'meta']) await page.click(`#operations-tag-${tag}`);
    // The example's routes need a caller, as a generated resource's do: the person has authorized first.
    await authorize(page, await server.example.token({ sub: 'alice' }), 'bearerAuth');
    await expand(page, GET_WIDGET);
    await tryItOut(page, GET_WIDGET, '01900000-0000-7000-8000-000000000000');
    const bottom = await page.evaluate<number>(
      `Math.ceil(document.querySelector(${JSON.stringify(liveResponse(GET_WIDGET))}).getBoundingClientRect().bottom + window.scrollY + 4)`,
    );
    await page.evaluate('window.scrollTo(0, 0)');
    fs.writeFileSync(FILE, await page.screenshot({ x: 0, y: 0, width: WIDTH, height: bottom, scale: 1 }));
    console.log(`wrote ${path.relative(projectRoot(), FILE)} (${WIDTH}×${bottom})`);
  } finally {
    await chromium.close();
    await server.close();
    await stopTestDatabase();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
