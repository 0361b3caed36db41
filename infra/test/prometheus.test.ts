import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '#shared/paths';
import { PROMETHEUS_DIR, RUNBOOKS_DIR, dashboardQueries, loadRules, metricNames, withoutGrafanaVariables } from './support/promql';
import { ensurePromtool, promtool } from './support/promtool';

/**
 * Prometheus's own checker over the config, the alert rules and their unit
 * tests (Debian's promtool, unpacked when missing), the dashboard's queries
 * parsed by the same PromQL parser, and a runbook page for every alert.
 */
describe('infra/prometheus', function () {
  before(function () {
    // The first run on a machine downloads the package.
    this.timeout(300_000);
    ensurePromtool();
  });

  it('passes promtool check config, which also loads the rule files it names', function () {
    assert.match(promtool(['check', 'config', 'prometheus.yml'], PROMETHEUS_DIR), /1 rule files found/);
  });

  it('passes promtool check rules', function () {
    assert.match(promtool(['check', 'rules', 'alerts.yml'], PROMETHEUS_DIR), /SUCCESS: \d+ rules found/);
  });

  it('passes the alert unit tests (promtool test rules alerts.test.yml)', function () {
    assert.match(promtool(['test', 'rules', 'alerts.test.yml'], PROMETHEUS_DIR), /SUCCESS/);
  });

  it('has the dashboard queries accepted by the PromQL parser', function () {
    const queries = dashboardQueries();
    assert.ok(queries.length >= 15, `${queries.length} queries`);
    const directory = mkdtempSync(path.join(tmpdir(), 'regcloud-dashboard-'));
    try {
      const rules = queries.map((query, index) => ({ record: `dashboard:query_${index}`, expr: withoutGrafanaVariables(query) }));
      writeFileSync(path.join(directory, 'dashboard.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
      assert.match(promtool(['check', 'rules', 'dashboard.yml'], directory), new RegExp(`SUCCESS: ${queries.length} rules found`));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('gives every alert a runbook_url naming a page under infra/runbooks/, and every page an alert or a purpose', function () {
    const alerts = loadRules().filter((rule) => rule.alert !== undefined);
    assert.ok(alerts.length >= 10);
    const linked = new Set<string>();
    for (const alert of alerts) {
      const url = alert.annotations?.runbook_url ?? '';
      assert.match(url, /^infra\/runbooks\/[a-z0-9-]+\.md$/, alert.alert);
      assert.ok(existsSync(path.join(REPO_ROOT, url)), `${alert.alert}: ${url} does not exist`);
      linked.add(path.basename(url));
    }
    const procedures = ['README.md', 'mysql-backup-restore.md', 'migrations.md'];
    assert.deepEqual(
      readdirSync(RUNBOOKS_DIR).filter((page) => !linked.has(page) && !procedures.includes(page)),
      [],
      'a page no alert links to',
    );
  });

  it('reads metric names out of PromQL as the scrape check needs them', function () {
    assert.deepEqual(
      metricNames(
        'sum by (le, route) (rate(a_seconds_bucket{route="/v1/x",le="0.05"}[5m])) / on (job) group_left b_total offset 1d > 5 * (c:ratio:rate5m or vector(0)) and up == 0',
      ).sort(),
      ['a_seconds_bucket', 'b_total', 'c:ratio:rate5m', 'up'],
    );
  });
});
