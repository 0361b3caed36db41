import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ENV_VARIABLES, loadConfig } from '#shared/config/env';
import { REPO_ROOT } from '#shared/paths';
import {
  OVERLAYS,
  defined,
  matches,
  renderOverlay,
  type Container,
  type K8sObject,
  type NetworkPolicyPeer,
  type PodTemplate,
} from './support/manifests';

/**
 * Both overlays rendered by `kubectl kustomize`, every object validated
 * against the Kubernetes OpenAPI schemas (kubernetes-models: the API's
 * schemas compiled by ajv, README "Libraries and why"), then what the
 * schemas cannot say: probes, limits, non-root read-only containers, pinned
 * images, no secret values, settings that loadConfig accepts, and who the
 * NetworkPolicies let reach each port.
 */
interface Validatable {
  validate(): void;
}

async function schemaProblem(object: K8sObject): Promise<string | undefined> {
  // The package lays its models out as <group>/<version>/<Kind>, the core group as v1/<Kind>.
  const exported = ((await import(`kubernetes-models/${object.apiVersion}/${object.kind}`)) as Record<string, unknown>)[object.kind];
  if (typeof exported !== 'function') return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    new (exported as new (data: unknown) => Validatable)(object).validate();
    return undefined;
  } catch (error) {
    return `${object.kind}/${object.metadata.name}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

const SECRET_NAME = 'regcloud-secrets';
const EXAMPLE_SECRET = path.join(REPO_ROOT, 'k8s', 'secret.example.env');

function exampleSecretKeys(): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of readFileSync(EXAMPLE_SECRET, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined) keys.set(match[1], match[2] ?? '');
  }
  return keys;
}

function kustomizationFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return kustomizationFiles(full);
    return entry.name === 'kustomization.yaml' ? [full] : [];
  });
}

function workloads(objects: K8sObject[]): Array<{ object: K8sObject; template: PodTemplate }> {
  return objects.flatMap((object) =>
    (object.kind === 'Deployment' || object.kind === 'Job') && object.spec?.template ? [{ object, template: object.spec.template }] : [],
  );
}

function only<T>(items: T[], what: string): T {
  assert.equal(items.length, 1, `exactly one ${what}`);
  return defined(items[0], what);
}

function deployment(objects: K8sObject[], component: string): { object: K8sObject; template: PodTemplate; container: Container } {
  const found = only(
    workloads(objects).filter(
      ({ object, template }) => object.kind === 'Deployment' && template.metadata.labels['app.kubernetes.io/component'] === component,
    ),
    `${component} Deployment`,
  );
  return { ...found, container: only(found.template.spec.containers, `${component} container`) };
}

function containerPort(container: Container, port: string | number): number | undefined {
  return typeof port === 'number' ? port : container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

/** Namespaces a policy could face, by the labels the API server and operators give them. */
const NAMESPACES = {
  'public ingress': { 'kubernetes.io/metadata.name': 'ingress-nginx' },
  monitoring: { 'kubernetes.io/metadata.name': 'monitoring' },
  'staff access': { 'kubernetes.io/metadata.name': 'staff-vpn', 'regcloud/staff-access': 'true' },
  'any other': { 'kubernetes.io/metadata.name': 'elsewhere' },
} as const;
type NamespaceName = keyof typeof NAMESPACES;

function admits(peer: NetworkPolicyPeer, namespace: Record<string, string>): boolean {
  // An ipBlock admits by address, so from anywhere; a podSelector alone admits this namespace's pods only.
  if (peer.ipBlock !== undefined) return true;
  if (peer.namespaceSelector === undefined) return false;
  return matches(peer.namespaceSelector, namespace);
}

/** The namespaces from which the NetworkPolicies let a connection reach `port` of these pods. */
function reachableFrom(objects: K8sObject[], template: PodTemplate, container: Container, port: number): NamespaceName[] {
  const policies = objects.filter(
    (object) => object.kind === 'NetworkPolicy' && matches(object.spec?.podSelector, template.metadata.labels),
  );
  assert.ok(
    policies.some((policy) => policy.spec?.policyTypes?.includes('Ingress')),
    `no Ingress policy selects ${template.metadata.labels['app.kubernetes.io/component']}: everything could reach it`,
  );
  const rules = policies.flatMap((policy) => policy.spec?.ingress ?? []);
  const open = rules.filter(
    (rule) =>
      rule.ports === undefined || rule.ports.some((entry) => entry.port === undefined || containerPort(container, entry.port) === port),
  );
  return (Object.keys(NAMESPACES) as NamespaceName[]).filter((name) =>
    open.some((rule) => rule.from === undefined || rule.from.length === 0 || rule.from.some((peer) => admits(peer, NAMESPACES[name]))),
  );
}

for (const overlay of OVERLAYS) {
  describe(`k8s/overlays/${overlay}`, function () {
    let objects: K8sObject[];
    let config: Record<string, string>;
    let configName: string;

    before(function () {
      objects = renderOverlay(overlay);
      const configMap = only(
        objects.filter((object) => object.kind === 'ConfigMap'),
        'ConfigMap',
      );
      config = defined(configMap.data, 'ConfigMap data');
      configName = configMap.metadata.name;
    });

    it('renders objects that all validate against the Kubernetes schemas', async function () {
      assert.deepEqual([...new Set(objects.map((object) => object.kind))].sort(), [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Job',
        'Namespace',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Service',
      ]);
      const problems = (await Promise.all(objects.map(schemaProblem))).filter((problem) => problem !== undefined);
      assert.deepEqual(problems, []);
    });

    it('gives every container probes (Deployments), limits, a non-root read-only security context and a writable /tmp', function () {
      for (const { object, template } of workloads(objects)) {
        const where = `${object.kind}/${object.metadata.name}`;
        const pod = template.spec.securityContext;
        assert.equal(pod?.runAsNonRoot, true, where);
        assert.ok((pod.runAsUser ?? 0) > 0, where);
        assert.equal(pod.seccompProfile?.type, 'RuntimeDefault', where);
        for (const container of template.spec.containers) {
          if (object.kind === 'Deployment') {
            for (const probe of [container.livenessProbe, container.readinessProbe]) {
              assert.ok(probe?.httpGet, `${where}: probe missing`);
              assert.ok(
                containerPort(container, probe.httpGet.port) !== undefined,
                `${where}: probe port ${probe.httpGet.port} not declared`,
              );
            }
          }
          for (const kind of ['requests', 'limits'] as const) {
            assert.ok(container.resources?.[kind]?.cpu && container.resources[kind].memory, `${where}: ${kind}`);
          }
          assert.equal(container.securityContext?.allowPrivilegeEscalation, false, where);
          assert.equal(container.securityContext.readOnlyRootFilesystem, true, where);
          assert.deepEqual(container.securityContext.capabilities?.drop, ['ALL'], where);
          const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
          assert.ok(template.spec.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir, `${where}: /tmp is not an emptyDir`);
        }
      }
    });

    it('pins one image by tag, never latest', function () {
      const images = new Set(workloads(objects).flatMap(({ template }) => template.spec.containers.map((container) => container.image)));
      assert.equal(images.size, 1, [...images].join(', '));
      const [image] = [...images];
      assert.match(defined(image, 'image'), /^[^@]+:(?!latest$)[\w][\w.-]{0,127}$|@sha256:[0-9a-f]{64}$/);
    });

    it('carries no Secret and no secret value; every key read exists in the empty example, which no kustomization reads', function () {
      assert.deepEqual(
        objects.filter((object) => object.kind === 'Secret').map((object) => object.metadata.name),
        [],
      );
      const example = exampleSecretKeys();
      assert.ok(
        [...example.values()].every((value) => value === ''),
        'k8s/secret.example.env holds a value',
      );
      for (const file of kustomizationFiles(path.join(REPO_ROOT, 'k8s'))) {
        const withoutComments = readFileSync(file, 'utf8').replace(/#.*$/gm, '');
        assert.doesNotMatch(withoutComments, /secret\.example|secretGenerator/, file);
      }
      const references = workloads(objects).flatMap(({ template }) =>
        template.spec.containers.flatMap((container) =>
          (container.env ?? []).flatMap((variable) => variable.valueFrom?.secretKeyRef ?? []),
        ),
      );
      assert.ok(references.length > 0);
      for (const reference of references) {
        assert.equal(reference.name, SECRET_NAME);
        assert.ok(example.has(reference.key), `${reference.key} is not in k8s/secret.example.env`);
      }
      for (const key of ['TOKEN_SECRET', 'LEASE_SIGNING_KEY']) {
        assert.ok(
          references.filter((reference) => reference.key === key).every((reference) => reference.optional === true),
          key,
        );
      }
    });

    it('sets only real variables, in a ConfigMap that loadConfig accepts and whose ports match the containers', function () {
      const names = workloads(objects).flatMap(({ template }) =>
        template.spec.containers.flatMap((container) => (container.env ?? []).map((variable) => variable.name)),
      );
      assert.deepEqual(
        [...Object.keys(config), ...names].filter((name) => !ENV_VARIABLES.includes(name)),
        [],
      );
      const loaded = loadConfig({ ...config, MYSQL_URL: 'mysql://regcloud@db:3306/regcloud', REDIS_URL: 'redis://redis:6379/0' });
      assert.equal(loaded.migrateOnStart, false, 'the Job migrates, not the pods');
      assert.equal(loaded.seedDemoAccount, false);
      const api = deployment(objects, 'api');
      const admin = deployment(objects, 'admin');
      const worker = deployment(objects, 'worker');
      assert.equal(containerPort(api.container, 'http'), loaded.port);
      assert.equal(containerPort(api.container, 'metrics'), loaded.metricsPort);
      assert.equal(containerPort(admin.container, 'http'), loaded.admin.port);
      assert.equal(containerPort(worker.container, 'metrics'), loaded.workerMetricsPort);
      assert.equal(api.template.metadata.annotations?.['prometheus.io/port'], String(loaded.metricsPort));
      assert.equal(admin.template.metadata.annotations?.['prometheus.io/port'], String(loaded.admin.port));
      assert.equal(worker.template.metadata.annotations?.['prometheus.io/port'], String(loaded.workerMetricsPort));
      for (const { container } of [api, admin, worker]) {
        assert.ok(container.envFrom?.some((source) => source.configMapRef?.name === configName));
      }
    });

    it('scales the API with an HPA whose floor is its replica count; PDBs and Services select their own pods only', function () {
      const api = deployment(objects, 'api');
      const hpa = only(
        objects.filter((object) => object.kind === 'HorizontalPodAutoscaler'),
        'HPA',
      );
      assert.deepEqual(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: api.object.metadata.name });
      assert.equal(hpa.spec.minReplicas, api.object.spec?.replicas);
      const pods = workloads(objects).map(({ template }) => template.metadata.labels);
      const selected = (kind: string) =>
        objects
          .filter((object) => object.kind === kind)
          .map((object) => {
            const selector =
              object.kind === 'Service' ? { matchLabels: object.spec?.selector as Record<string, string> } : object.spec?.selector;
            const components = pods
              .filter((labels) => matches(selector as never, labels))
              .map((labels) => labels['app.kubernetes.io/component']);
            return `${object.metadata.name}: ${components.join(',')}`;
          })
          .sort();
      assert.deepEqual(selected('PodDisruptionBudget'), ['regcloud-admin: admin', 'regcloud-api: api']);
      assert.deepEqual(selected('Service'), ['regcloud-admin: admin', 'regcloud-api: api']);
    });

    it('lets the public ingress reach the API port alone, monitoring the metrics ports, staff access the admin', function () {
      const reach = (component: string, portName: string) => {
        const { template, container } = deployment(objects, component);
        return reachableFrom(objects, template, container, defined(containerPort(container, portName), portName));
      };
      assert.deepEqual(
        {
          'api http': reach('api', 'http'),
          'api metrics': reach('api', 'metrics'),
          'worker metrics': reach('worker', 'metrics'),
          'admin http (and /admin/metrics)': reach('admin', 'http'),
        },
        {
          'api http': ['public ingress'],
          'api metrics': ['monitoring'],
          'worker metrics': ['monitoring'],
          'admin http (and /admin/metrics)': ['monitoring', 'staff access'],
        },
      );
      const job = only(
        workloads(objects).filter(({ object }) => object.kind === 'Job'),
        'migration Job',
      );
      assert.ok(
        objects.some((object) => object.kind === 'NetworkPolicy' && matches(object.spec?.podSelector, job.template.metadata.labels)),
        'the migration Job is not behind the default deny',
      );
    });
  });
}

describe('the Kubernetes schema check', function () {
  it('refuses an object that breaks the schema', async function () {
    const api = defined(
      renderOverlay('dev').find((object) => object.kind === 'Deployment'),
      'Deployment',
    );
    const broken = { ...api, spec: { ...api.spec, replicas: 'three' } } as unknown as K8sObject;
    assert.match((await schemaProblem(broken)) ?? '', /replicas must be integer/);
  });
});
