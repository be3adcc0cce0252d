/** The value of one sample line (`name{labels} value`) in a Prometheus text body. */
export function sample(body: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = body.split('\n').find((text) => text.startsWith(`${name}{`) && wanted.every((label) => text.includes(label)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Each metric's type, from the `# TYPE name type` lines of a Prometheus text body. */
export function metricTypes(body: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1] as string, match[2] as string);
  return types;
}

/** Every label of each sampled metric in a Prometheus text body, with the values seen for it. */
export function sampledLabels(body: string): Map<string, Map<string, Set<string>>> {
  const metrics = new Map<string, Map<string, Set<string>>>();
  for (const [, name, labels = ''] of body.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/gm)) {
    const seen = metrics.get(name as string) ?? new Map<string, Set<string>>();
    metrics.set(name as string, seen);
    for (const [, label, value] of labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      const values = seen.get(label as string) ?? new Set<string>();
      seen.set(label as string, values);
      values.add(JSON.parse(`"${value as string}"`) as string);
    }
  }
  return metrics;
}
