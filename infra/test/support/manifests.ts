import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '#shared/paths';

/** The parts of rendered Kubernetes objects the tests read; the schemas check the rest. */
export interface Labels {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface Container {
  name: string;
  image: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
    containers: Container[];
    volumes?: Array<{ name: string; emptyDir?: object }>;
  };
}

export interface NetworkPolicyPeer {
  namespaceSelector?: Labels;
  podSelector?: Labels;
  ipBlock?: object;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: Labels | Record<string, string>;
    template?: PodTemplate;
    podSelector?: Labels;
    policyTypes?: string[];
    ingress?: Array<{ from?: NetworkPolicyPeer[]; ports?: Array<{ port?: string | number }> }>;
    scaleTargetRef?: { kind: string; name: string };
    minReplicas?: number;
    ports?: Array<{ port: number; targetPort: string | number }>;
  };
}

/** A value the test needs, or a failure naming it. */
export function defined<T>(value: T | null | undefined, what: string): T {
  assert.ok(value !== undefined && value !== null, `${what} is missing`);
  return value;
}

export const OVERLAYS = ['dev', 'prod'] as const;

/** `kubectl kustomize` of one overlay, as kubectl would apply it. */
export function renderOverlay(overlay: string): K8sObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', path.join(REPO_ROOT, 'k8s', 'overlays', overlay)], { encoding: 'utf8' });
  return parseAllDocuments(yaml)
    .map((document) => document.toJS() as unknown)
    .filter((object): object is K8sObject => object !== null);
}

export function matches(selector: Labels | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    switch (operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
    }
  });
  return byLabels && byExpressions;
}
