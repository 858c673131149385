export { Entitle, type EntitleOptions, type Listable } from './client.js';
export { EntitleError, type InvalidField, type Problem } from './errors.js';
export { backoffDelay, type FetchLike, type RetryOptions } from './http.js';
export {
  verifyCertificate,
  type CertificateClaims,
  type CertificateFailure,
  type CertificateVerification,
  type PublicKeys,
  type VerifyCertificateOptions,
} from './offline.js';
export {
  lossOf,
  type HeldLease,
  type HoldOptions,
  type HoldTimers,
  type LeaseCalls,
  type LeaseLoss,
} from './leases.js';
export { UsageReporter, type UsageInput, type UsageReporterOptions } from './usage.js';
export * from './types.js';
