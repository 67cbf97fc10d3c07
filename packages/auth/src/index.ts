export type { Authenticator, Principal, PrincipalKind } from './principal.js';
export { KeyRing, createMemoryKeyStore, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, SIGNING_ALGORITHM } from './keys.js';
export type { Jwks, KeyRingOptions, KeyStore, PublicJwk } from './keys.js';
export {
  createAuthenticator,
  issuePrincipalToken,
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_LENGTH,
  MAX_TOKEN_TTL_SECONDS,
  TOKEN_ISSUER,
} from './tokens.js';
export type { AuthenticatorOptions, IssuedToken, IssuePrincipalTokenInput } from './tokens.js';
export { createAclEvaluator, SYSTEM_ROLE } from './acl.js';
export type { AclDecision, AclEvaluator, AclRequest } from './acl.js';
export { describeRule, describeRuleLocation } from './acl-describe.js';
export { BUILTIN_ROLES, composeRoles } from './roles.js';
export type { RoleCompositionInput } from './roles.js';
export {
  createAdminTokenVerifier,
  parseAdminPublicKeys,
  ADMIN_ALGORITHMS,
  ADMIN_AUDIENCE,
  ADMIN_CLOCK_TOLERANCE_SECONDS,
  MAX_ADMIN_SUBJECT_LENGTH,
  MAX_ADMIN_TOKEN_LIFETIME_SECONDS,
} from './admin-tokens.js';
export type {
  AdminAlgorithm,
  AdminKeySet,
  AdminPublicKey,
  AdminTokenVerifierFn,
  AdminTokenVerifierOptions,
} from './admin-tokens.js';
