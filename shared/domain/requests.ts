/**
 * What a node asks for, as the use cases receive it: a request that passed
 * the API's shape and value checks (services/api/src/routes/bodies.ts), with
 * an optional field that was absent or null left undefined.
 */
export interface RegistrationRequest {
  account: string;
  password: string;
  appVersion: string;
  nodes: RegistrationNode[];
  /** Run every check, bind nothing (contract v1.1 "Dry run"). */
  dryRun?: boolean | undefined;
}

export interface RegistrationNode {
  nodeId: string;
  ip: string;
  domain?: string;
  appName: string;
  machineCode: string;
  mac?: string;
}

export interface UnbindingRequest {
  account: string;
  password: string;
  nodes: Array<{ nodeId: string; machineCode: string }>;
}

export interface VerificationRequest {
  machineCode: string;
  token: string;
}
