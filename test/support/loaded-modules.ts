// Preloaded into a server process (NODE_OPTIONS=--require): when the process exits, one JSON line names
// the OpenTelemetry packages it had loaded (require.cache), so a test can tell what tracing off loads.
process.on('exit', () => {
  const packages = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules\/(@opentelemetry\/[^/]+)\//.exec(file);
    if (match?.[1]) packages.add(match[1]);
  }
  process.stdout.write(`${JSON.stringify({ message: 'loaded modules', opentelemetry: [...packages].sort(), pid: process.pid })}\n`);
});
