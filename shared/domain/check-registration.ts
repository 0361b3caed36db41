import type { Certificate } from './account';
import { sortNodeCodes, sortOverallCauses, type NodeCode, type OverallCause } from './causes';
import { formatExpirationDate, isExpired } from './expiry';
import { isAppNameAllowed, isDomainAllowed, isIpAllowed } from './ranges';
import { matchesCertifiedVersion } from './version';

/**
 * Ordered guards over an authenticated account: every guard that fails adds
 * its cause, in table order (after a successful login every overall cause
 * that applies is listed).
 */
type GuardedCertificate = Pick<Certificate, 'version' | 'status' | 'expiresAt'>;
type AccountGuard = (certificate: GuardedCertificate, context: { appVersion: string; now: Date }) => OverallCause | null;

const versionGuard: AccountGuard = (certificate, { appVersion }) =>
  matchesCertifiedVersion(certificate.version, appVersion)
    ? null
    : { code: 'VERSION_MISMATCH', details: { certifiedVersion: certificate.version, localVersion: appVersion } };

const statusGuard: AccountGuard = (certificate) =>
  certificate.status === 'active' ? null : { code: 'ABNORMAL_ACCOUNT_STATUS', details: { status: certificate.status } };

const expiryGuard: AccountGuard = (certificate, { now }) =>
  isExpired(certificate.expiresAt, now)
    ? { code: 'EXPIRED_CERTIFICATE', details: { expirationDate: formatExpirationDate(certificate.expiresAt) } }
    : null;

const REGISTRATION_GUARDS: readonly AccountGuard[] = [versionGuard, statusGuard, expiryGuard];
const CERTIFICATE_GUARDS: readonly AccountGuard[] = [statusGuard, expiryGuard];
const UNBINDING_GUARDS: readonly AccountGuard[] = [statusGuard];

function runGuards(guards: readonly AccountGuard[], certificate: GuardedCertificate, appVersion: string, now: Date): OverallCause[] {
  const causes = guards.flatMap((guard) => guard(certificate, { appVersion, now }) ?? []);
  return sortOverallCauses(causes);
}

export function registrationAccountCauses(certificate: Certificate, appVersion: string, now: Date): OverallCause[] {
  return runGuards(REGISTRATION_GUARDS, certificate, appVersion, now);
}

/** A heartbeat has no version of its own to compare: only status and expiry apply. */
export function verificationAccountCauses(certificate: Pick<Certificate, 'status' | 'expiresAt'>, now: Date): OverallCause[] {
  return runGuards(CERTIFICATE_GUARDS, { ...certificate, version: '' }, '', now);
}

export function unbindingAccountCauses(certificate: GuardedCertificate, now: Date): OverallCause[] {
  return runGuards(UNBINDING_GUARDS, certificate, '', now);
}

export interface NodeFacts {
  ip: string;
  domain?: string | undefined;
  appName: string;
}

/** Every range cause that applies to one node (display rule 1). */
export function nodeRangeCauses(certificate: Certificate, node: NodeFacts): NodeCode[] {
  const causes: NodeCode[] = [];
  if (!isIpAllowed(certificate.allowedIps, node.ip)) causes.push('IP_NOT_ALLOWED');
  if (!isDomainAllowed(certificate.allowedDomains, node.domain)) causes.push('DOMAIN_NOT_ALLOWED');
  if (!isAppNameAllowed(certificate.allowedAppNames, node.appName)) causes.push('APP_NAME_NOT_ALLOWED');
  return causes;
}

export interface NodeFailure {
  index: number;
  causes: NodeCode[];
}

/**
 * Joins range causes with seat overflow (display rule 3: a new machine that
 * does not fit carries MAX_AUTHORIZATIONS_REACHED whether or not it also
 * carries a range cause). Nodes with no cause are left out.
 */
export function nodeFailures(rangeCauses: readonly NodeCode[][], overflowIndices: readonly number[]): NodeFailure[] {
  const overflow = new Set(overflowIndices);
  return rangeCauses.flatMap((causes, index) => {
    const all = overflow.has(index) ? [...causes, 'MAX_AUTHORIZATIONS_REACHED' as const] : causes;
    return all.length === 0 ? [] : [{ index, causes: sortNodeCodes(all) }];
  });
}
