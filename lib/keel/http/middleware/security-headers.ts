import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * helmet, set for a JSON API rather than for HTML pages (OWASP REST Security Cheat Sheet, "Security
 * headers"): a response opened in a browser runs nothing and cannot be framed
 * (Content-Security-Policy default-src 'none'; frame-ancestors 'none', X-Frame-Options DENY for older
 * browsers), is never sniffed into another type (nosniff), is only reached over HTTPS once seen
 * (Strict-Transport-Security), leaks no referrer and cannot be embedded by other sites
 * (Cross-Origin-Resource-Policy).
 *
 * Off: the headers that only act on documents a browser renders or on browsers long gone
 * (Cross-Origin-Opener-Policy, Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options for
 * IE 8, X-Permitted-Cross-Domain-Policies for Flash, X-XSS-Protection). Every header is written on
 * every response, health pings included; a service that starts serving HTML turns them back on here.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    // createApp disables Express's X-Powered-By: nothing for helmet to remove.
    xPoweredBy: false,
  });
}

/**
 * The API documentation page's policy (lib/keel/endpoints/docs.ts), set on its HTML and its files in place of the
 * one above, and loosened from it only as far as Swagger UI needs: scripts, the stylesheet and the favicon from
 * keel's own origin ('self': keel serves every file, no CDN), the document and "Try it out" requests to that
 * origin (connect-src), and the data: URIs the stylesheet draws its icons with (img-src). No inline script, no
 * eval, no inline <style>, no fonts, frames, workers or form targets; it still cannot be framed. The page's
 * window shares no browsing context with another origin's (Cross-Origin-Opener-Policy): a bearer token given
 * to Authorize stays in it.
 */
export function apiDocsSecurityHeaders(): RequestHandler[] {
  return [
    helmet.contentSecurityPolicy({
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    }),
    helmet.crossOriginOpenerPolicy({ policy: 'same-origin' }),
  ];
}
