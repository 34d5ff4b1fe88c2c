/**
 * AWS IoT policies, pure: parse and validate documents, compile them once,
 * evaluate requests with explanations, lint, build ARNs and render templates.
 * Used by `iotctl policy ...` and by the local broker (one implementation, one
 * table-driven test suite).
 */
export { parsePolicy, policySize, IOT_POLICY_MAX_SIZE, IAM_POLICY_MAX_SIZE, VERSION_2012, VERSION_2008 } from './document.js';
export type { ParsedPolicy, PolicyProblem, StatementSpec, ConditionSpec, Effect, PolicyKind, ParseOptions } from './document.js';
export { compilePolicy, clearPolicyCache, policyCacheSize, failClosedPolicy, CompiledPolicy, PolicyError } from './compile.js';
export type { PolicyInput, CompiledStatement } from './compile.js';
export { evaluate, explain, isAllowed, compileAll } from './evaluate.js';
export type { AuthRequest, Decision, DecidingStatement, Evaluation, Explanation, StatementTrace, PatternTrace, PolicySource, ContextSource } from './evaluate.js';
export type { ConditionTrace } from './conditions.js';
export { combineCognito } from './cognito.js';
export type { CombinedEvaluation } from './cognito.js';
export { lintPolicy } from './lint.js';
export type { PolicyWarning } from './lint.js';
export { iotArn, resourceForAction, resourceTypeFor, parseArn } from './arn.js';
export type { ArnScope, ArnParts, IotResourceType } from './arn.js';
export { buildVariables, VariableBag, parseTemplate, parseVariableRef, normalizeKey, isKnownVariable, isThingVariable } from './variables.js';
export type { PolicyContext, VariableRef } from './variables.js';
export { isSubstitutableCertValue, DN_FIELDS, ALT_NAME_KINDS } from './certificate.js';
export type { CertificateFacts, DistinguishedName, AltNames } from './certificate.js';
export { compileWildcard, wildcardMatches } from './wildcard.js';
export { parseIp, parseCidr, cidrContains } from './ip.js';
export { IOT_POLICY_ACTIONS, canonicalAction } from './actions.js';
export { renderTemplate, resolveParameters, checkTemplate, templateParameters, BUILTIN_PARAMETERS } from './template.js';
export type { PolicyTemplate, TemplateParameter, RenderedPolicy } from './template.js';
export { decide, isAllowedBy, statementName } from './decide.js';
export type { PolicySides, ExplainedDecision, DecidingStatementOf, IotOwner } from './decide.js';
