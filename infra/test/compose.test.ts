import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENV_VARIABLES, loadConfig } from '#shared/config/env';
import { REPO_ROOT } from '#shared/paths';
import { defined } from './support/manifests';

/**
 * The local stack and the image, read as files (no Docker engine here):
 * every service, port, variable, mounted file and build context that
 * infra/compose.yaml names exists, and infra/Dockerfile builds from a pinned
 * Node LTS, runs as a non-root user and has a HEALTHCHECK.
 */
interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
  healthcheck?: { test: string[] };
}

const INFRA = path.join(REPO_ROOT, 'infra');
const compose = parse(readFileSync(path.join(INFRA, 'compose.yaml'), 'utf8')) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const prometheus = parse(readFileSync(path.join(INFRA, 'prometheus', 'prometheus.yml'), 'utf8')) as {
  scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
};
const REGCLOUD = ['api', 'admin', 'worker'] as const;

function service(name: string): ComposeService {
  const found = compose.services[name];
  assert.ok(found, `no service ${name}`);
  return found;
}

function configOf(name: string) {
  return loadConfig(service(name).environment ?? {});
}

describe('infra/compose.yaml', function () {
  it('runs the stores, the three services from one image, Prometheus and Grafana', function () {
    assert.deepEqual(Object.keys(compose.services).sort(), ['admin', 'api', 'grafana', 'mariadb', 'prometheus', 'redis', 'worker']);
    const images = new Set(REGCLOUD.map((name) => service(name).image));
    assert.equal(images.size, 1);
    const built = REGCLOUD.filter((name) => service(name).build !== undefined);
    assert.deepEqual(built, ['api'], 'one service builds the image the others run');
    const { context, dockerfile } = defined(service('api').build, 'build');
    assert.equal(path.resolve(INFRA, context), REPO_ROOT);
    assert.ok(existsSync(path.join(REPO_ROOT, dockerfile)), dockerfile);
    for (const name of REGCLOUD) {
      const entry = service(name).command?.[1] ?? 'dist/services/api/src/main.js';
      assert.ok(existsSync(path.join(REPO_ROOT, entry)), `${name}: ${entry} is not built`);
    }
  });

  it('sets only real variables, which loadConfig accepts', function () {
    for (const name of REGCLOUD) {
      const environment = service(name).environment ?? {};
      assert.deepEqual(
        Object.keys(environment).filter((variable) => !ENV_VARIABLES.includes(variable)),
        [],
        name,
      );
      assert.doesNotThrow(() => configOf(name), name);
    }
  });

  it('publishes ports on loopback only, each the one its service listens on', function () {
    for (const [name, entry] of Object.entries(compose.services)) {
      for (const port of entry.ports ?? []) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, name);
    }
    assert.deepEqual(service('api').ports, [`127.0.0.1:8080:${configOf('api').port}`]);
    assert.deepEqual(service('admin').ports, [`127.0.0.1:8081:${configOf('admin').admin.port}`]);
    assert.equal(configOf('admin').admin.host, '0.0.0.0', 'admin must listen beyond its container');
  });

  it('has healthchecks on the ports the services listen on, and dependencies that exist', function () {
    assert.match(
      defined(service('admin').healthcheck, 'admin healthcheck').test.join(' '),
      new RegExp(`:${configOf('admin').admin.port}/admin/healthz`),
    );
    assert.match(
      defined(service('worker').healthcheck, 'worker healthcheck').test.join(' '),
      new RegExp(`:${configOf('worker').workerMetricsPort}/healthz`),
    );
    for (const [name, entry] of Object.entries(compose.services)) {
      const dependencies = Array.isArray(entry.depends_on) ? entry.depends_on : Object.keys(entry.depends_on ?? {});
      for (const dependency of dependencies) assert.ok(compose.services[dependency], `${name} → ${dependency}`);
    }
  });

  it('mounts files and folders that exist, and named volumes that are declared', function () {
    for (const [name, entry] of Object.entries(compose.services)) {
      for (const volume of entry.volumes ?? []) {
        const source = defined(volume.split(':')[0], volume);
        if (source.startsWith('.')) assert.ok(existsSync(path.resolve(INFRA, source)), `${name}: ${source}`);
        else assert.ok(source in compose.volumes, `${name}: volume ${source} not declared`);
      }
    }
  });

  it('is scraped by prometheus.yml at each service and its metrics port', function () {
    const targets = Object.fromEntries(
      prometheus.scrape_configs.map((job) => [
        job.job_name,
        `${defined(job.static_configs[0], job.job_name).targets.join(',')}${job.metrics_path ?? '/metrics'}`,
      ]),
    );
    assert.equal(targets['regcloud-api'], `api:${configOf('api').metricsPort}/metrics`);
    assert.equal(targets['regcloud-admin'], `admin:${configOf('admin').admin.port}/admin/metrics`);
    assert.equal(targets['regcloud-worker'], `worker:${configOf('worker').workerMetricsPort}/metrics`);
  });
});

describe('infra/Dockerfile', function () {
  const dockerfile = readFileSync(path.join(INFRA, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));

  it('builds every stage from one pinned Node LTS release', function () {
    const bases = instructions.filter((line) => line.startsWith('FROM ')).map((line) => defined(line.split(/\s+/)[1], line));
    assert.ok(bases.length >= 2);
    assert.equal(new Set(bases).size, 1, bases.join(', '));
    const match = /^node:(\d+)\.\d+\.\d+-(bookworm|trixie)-slim$/.exec(defined(bases[0], 'FROM'));
    assert.ok(match, `${bases.join(', ')} is not a full version`);
    const major = Number(match[1]);
    assert.ok(major >= 22 && major % 2 === 0, `Node ${major} is not a supported LTS line`);
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK on the API', function () {
    const users = instructions.filter((line) => line.startsWith('USER '));
    assert.match(users.at(-1) ?? '', /^USER [1-9]\d*:[1-9]\d*$/);
    const healthcheck = instructions.find((line) => line.startsWith('HEALTHCHECK '));
    assert.ok(healthcheck, 'no HEALTHCHECK');
    assert.match(healthcheck, /\/healthz/);
  });

  it('copies only paths that exist in the build context', function () {
    const sources = instructions
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    assert.ok(sources.length > 0);
    for (const source of sources) assert.ok(existsSync(path.join(REPO_ROOT, source)), source);
  });
});
