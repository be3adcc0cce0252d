import v8 from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring for this process, before it serves anything.
 *
 * V8 watches the objects each array or object literal makes; when most of them survive a minor GC,
 * it allocates that literal's objects in the old generation from then on, and never looks again.
 * That suits a program building long-lived structures. In a server under load it misfires: at boot
 * the young generation is small, requests in flight survive its first collections, and per-request
 * literals inside Node and pg (a response header's [name, value] pair, a query result's rows array)
 * are pretenured for good. Each one then dies in the old generation still pointing at its request's
 * young objects, which are copied and promoted instead of freed: scavenges of ~2.3 ms instead of
 * ~1, and ~12% more CPU per request
 * (docs/benchmark-notes.md#garbage-collection-requests-promoted-through-pretenured-literals).
 * keel's own code avoids such literals on the request path (lib/keel/http/response-closed.ts); this covers
 * the libraries'.
 */
export function disableAllocationSitePretenuring(): void {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
