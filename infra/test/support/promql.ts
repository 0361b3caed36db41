import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '#shared/paths';

export const PROMETHEUS_DIR = path.join(REPO_ROOT, 'infra', 'prometheus');
export const RUNBOOKS_DIR = path.join(REPO_ROOT, 'infra', 'runbooks');
export const DASHBOARD = path.join(REPO_ROOT, 'infra', 'grafana', 'dashboards', 'regcloud.json');

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}

export function loadRules(): Rule[] {
  const file = parse(readFileSync(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> };
  return file.groups.flatMap((group) => group.rules);
}

/** Every PromQL query of the dashboard: panel targets, and the metric its variables list label values of. */
export function dashboardQueries(): string[] {
  const queries: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'expr' && typeof value === 'string') queries.push(value);
        else if (key === 'query' && typeof value === 'string' && value.startsWith('label_values(')) {
          queries.push((/^label_values\(([^,)]+)/.exec(value)?.[1] ?? value).trim());
        } else walk(value);
      }
    }
  };
  walk(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
  return queries;
}

/** Grafana's variables replaced by values Prometheus accepts, so promtool can parse the query. */
export function withoutGrafanaVariables(query: string): string {
  return query.replaceAll('$__rate_interval', '5m').replace(/\$\w+/g, '.*');
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'group_left', 'group_right', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: identifiers left once strings,
 * label matchers, ranges, label lists (by, on, …), numbers and durations are
 * removed, except function and aggregation names (followed by a parenthesis)
 * and the operators spelled as words.
 */
export function metricNames(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b\d+(\.\d+)?(ms|[smhdwy])?\b/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const isCall = bare
      .slice(match.index + match[0].length)
      .trimStart()
      .startsWith('(');
    if (!isCall && !KEYWORDS.has(match[0].toLowerCase())) names.add(match[0]);
  }
  return [...names];
}

/** The metric families of a Prometheus text scrape: name → type (untyped samples count too). */
export function scrapedFamilies(text: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const [, name = '', type = ''] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(name, type);
  for (const [, name = ''] of text.matchAll(/^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/gm)) if (!families.has(name)) families.set(name, 'untyped');
  return families;
}

/** A name a query reads is served when it is a family, or a histogram's or summary's _bucket/_sum/_count series. */
export function isServed(name: string, families: Map<string, string>): boolean {
  if (families.has(name)) return true;
  const base = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (base === null) return false;
  const [, family = '', suffix] = base;
  const type = families.get(family);
  return type === 'histogram' || (type === 'summary' && suffix !== 'bucket');
}
