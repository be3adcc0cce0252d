export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);

/**
 * The API documentation page: Swagger UI's stylesheet and bundle, and public/docs/init.js, which starts it on
 * the document at documentUrl. Every file is the page's own (under base), and nothing runs inline.
 */
export function docsPage(input: { base: string; documentUrl: string }): string {
  const base = escapeHtml(input.base);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>API documentation</title>
    <link rel="icon" type="image/png" href="${base}/favicon-32x32.png">
    <link rel="stylesheet" href="${base}/swagger-ui.css">
    <script src="${base}/swagger-ui-bundle.js" defer></script>
    <script src="${base}/init.js" defer></script>
  </head>
  <body>
    <div id="swagger-ui" data-url="${escapeHtml(input.documentUrl)}"></div>
    <noscript>This page needs JavaScript. The document it shows is at <a href="${escapeHtml(input.documentUrl)}">${escapeHtml(input.documentUrl)}</a>.</noscript>
  </body>
</html>
`;
}
