'use strict';

// Swagger UI over the document the page names (data-url on #swagger-ui). A file of its own, not an inline
// script: the page's Content-Security-Policy runs scripts from keel's own origin only
// (lib/keel/http/middleware/security-headers.ts, apiDocsSecurityHeaders).
(function start() {
  const root = document.getElementById('swagger-ui');
  SwaggerUIBundle({
    url: root.dataset.url,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    deepLinking: true,
    displayRequestDuration: true,
    // A token given to Authorize lives as long as the page, never in localStorage, where every script of
    // this origin could read it and where it would outlive the tab on a shared machine.
    persistAuthorization: false,
    // No request leaves keel's origin: the online validator's badge would send the document's URL to a third party.
    validatorUrl: null,
    // The page shows keel's own document only: no ?url= or ?configUrl= from a link pointing it elsewhere.
    queryConfigEnabled: false,
  });
})();
