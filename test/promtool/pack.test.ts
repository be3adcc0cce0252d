// The operator's pack (docs/monitoring/): the alerting rules and their unit tests through promtool, the
// dashboard's queries parsed by promtool, and every name either uses checked against the /metrics of a
// real keel. Run by `npm run test:promtool`, beside metrics.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { projectRoot } from '../../config/project';
import { startCluster } from '../support/cluster';
import { fileSite, referenceProblem } from '../support/doc-links';
import { httpRequest } from '../support/http';
import { sampledLabels } from '../support/metrics';
import { startStreamingReplication, type StreamingReplication } from '../support/replica';
import { registerSentinel } from '../support/sentinels';
import type { ServerProcess } from '../support/process';
import {
  alertTestCoverage,
  allPanels,
  dashboardQueries,
  readDashboard,
  readRules,
  RULE_TESTS_FILE,
  RULES_FILE,
  unknownNames,
  withoutGrafanaVariables,
} from './pack';
import { promtool } from './promtool';

const METRICS_TOKEN = 'pack-metrics-token-0123456789abcdef';
registerSentinel(METRICS_TOKEN, 'METRICS_TOKEN');
const RULES_PATH = path.relative(projectRoot(), RULES_FILE).split(path.sep).join('/');

describe('the operator’s pack (docs/monitoring)', () => {
  describe('alerts.yml', () => {
    it('passes promtool check rules', () => {
      const result = promtool(['check', 'rules', RULES_FILE]);

      expect(result.code, result.output).to.equal(0);
    });

    it('passes its unit tests (promtool test rules alerts.test.yml)', () => {
      const result = promtool(['test', 'rules', RULE_TESTS_FILE]);

      expect(result.code, result.output).to.equal(0);
    });

    it('has unit tests for every alert, firing and staying quiet in a near miss', () => {
      const coverage = alertTestCoverage();

      const alerts = readRules().flatMap((rule) => rule.alert ?? []);
      expect(alerts).to.have.length.at.least(6);
      for (const alert of alerts) {
        const counts = coverage.get(alert) ?? { fires: 0, quiet: 0 };
        expect(counts.fires, `${alert}: evaluations where it fires`).to.be.at.least(1);
        expect(counts.quiet, `${alert}: evaluations where it stays quiet`).to.be.at.least(1);
      }
      expect(
        [...coverage.keys()].filter((name) => !alerts.includes(name)),
        'tests of alerts that do not exist',
      ).to.deep.equal([]);
    });

    it('gives every alert a severity, a summary and a runbook_url to its paragraph of docs/operations.md', () => {
      const site = fileSite(projectRoot());

      for (const rule of readRules().filter((candidate) => candidate.alert)) {
        const runbook = rule.annotations?.runbook_url ?? '';
        expect(rule.labels?.severity, `${rule.alert} severity`).to.be.oneOf(['page', 'ticket']);
        expect(rule.annotations?.summary ?? '', `${rule.alert} summary`).to.have.length.greaterThan(0);
        expect(runbook, `${rule.alert} runbook_url`).to.match(/^\.\.\/operations\.md#/);
        expect(referenceProblem(site, RULES_PATH, runbook), `${rule.alert} runbook_url`).to.equal(undefined);
        expect(runbook, 'the anchor is the alert’s own heading').to.equal(`../operations.md#${(rule.alert as string).toLowerCase()}`);
      }
    });
  });

  describe('grafana-dashboard.json', () => {
    it('reads its data source from the datasource variable, in every panel and query', () => {
      const dashboard = readDashboard();

      const variable = dashboard.templating.list.find((candidate) => candidate.type === 'datasource');
      expect(variable?.name).to.equal('datasource');
      for (const panel of allPanels(dashboard).filter((candidate) => candidate.type !== 'row')) {
        expect(panel.datasource?.uid, `panel ${panel.title}`).to.equal('${datasource}');
        for (const target of panel.targets ?? []) expect(target.datasource?.uid, `panel ${panel.title}`).to.equal('${datasource}');
      }
    });

    it('has queries that promtool parses, every one', () => {
      const queries = dashboardQueries(readDashboard());
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-dashboard-rules-'));
      try {
        // Each query as a recording rule: promtool check rules parses and type-checks its expression.
        const rules = queries.map(({ expr }, index) => ({ record: `dashboard:query_${index}`, expr: withoutGrafanaVariables(expr) }));
        const file = path.join(dir, 'dashboard-queries.yml');
        fs.writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));

        const result = promtool(['check', 'rules', file]);

        expect(queries).to.have.length.at.least(25);
        expect(result.code, result.output).to.equal(0);
        expect(result.output).to.include(`SUCCESS: ${queries.length} rules found`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  // Two workers (the worker label) over a primary and two real streaming replicas (each replica's pool, its lag).
  describe('against the /metrics of two workers with two streaming replicas', function () {
    this.timeout(90_000);
    let replication: StreamingReplication | undefined;
    let server: ServerProcess | undefined;
    after(async () => {
      await server?.kill();
      await replication?.stop();
    });

    /** Traffic for every kind of series: a database read on each pool, a 404 and a 405 problem, readiness. */
    async function scrapeAfterTraffic(port: number): Promise<string> {
      for (const [method, target] of [
        ['GET', '/health'],
        ['GET', '/health/db'],
        ['GET', '/health/ready'],
        ['GET', '/no-such-route'],
        ['POST', '/health'],
      ] as const) {
        await httpRequest(port, target, method);
      }
      const res = await httpRequest(port, '/metrics', 'GET', 10_000, { Authorization: `Bearer ${METRICS_TOKEN}` });
      expect(res.status).to.equal(200);
      return res.body;
    }

    it('finds every metric, label and matched value the dashboard and the rules use', async () => {
      replication = await startStreamingReplication({ replicas: 2 });
      const cluster = await startCluster(2, {
        DATABASE_URL: replication.primaryUrl,
        DATABASE_REPLICA_URLS: replication.replicaUrls.join(','),
        DATABASE_SSL: 'off',
        METRICS_TOKEN,
      });
      server = cluster.server;
      const port = cluster.port;
      // The replica's lag is known once a worker's replica probe has answered.
      let body = await scrapeAfterTraffic(port);
      const deadline = Date.now() + 30_000;
      while (!/^keel_db_replica_lag_seconds\{/m.test(body)) {
        if (Date.now() > deadline) throw new Error('no keel_db_replica_lag_seconds in a scrape within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 200));
        body = await scrapeAfterTraffic(port);
      }

      const exported = sampledLabels(body);
      const rules = readRules();
      const recorded = new Set(rules.flatMap((rule) => rule.record ?? []));
      const checked = [
        ...dashboardQueries(readDashboard()),
        ...rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr })),
      ];
      const problems = checked.flatMap(({ where, expr }) =>
        unknownNames(withoutGrafanaVariables(expr), exported, recorded).map((p) => `${where}: ${p}`),
      );

      expect(problems).to.deep.equal([]);
      expect(exported.get('process_resident_memory_bytes')?.get('worker')?.size, 'one RSS series per worker').to.equal(2);
      expect([...(exported.get('keel_db_pool_connections')?.get('pool') ?? [])].sort()).to.deep.equal(['primary', 'replica']);
      const servers = replication.replicaUrls.map((url) => `${new URL(url).hostname}:${new URL(url).port}`).sort();
      expect([...(exported.get('keel_db_pool_connections')?.get('replica') ?? [])].sort(), 'one series per replica').to.deep.equal(servers);
    });
  });
});
