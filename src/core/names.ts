/**
 * AWS IoT's name rules for things, policies, attributes and certificates
 * (botocore patterns), checked before any call so a bad name is a usage error
 * with a precise message instead of a round trip.
 */

export interface NameRule {
  what: string;
  pattern: RegExp;
  /** The pattern as the service model (and AWS's error messages) writes it. */
  awsPattern: string;
  min: number;
  max: number;
  allowed: string;
}

export const THING_NAME: NameRule = { what: 'thing name', pattern: /^[a-zA-Z0-9:_-]+$/, awsPattern: '[a-zA-Z0-9:_-]+', min: 1, max: 128, allowed: 'letters, digits, : _ -' };
/** A named shadow (botocore iot-data ShadowName). */
export const SHADOW_NAME: NameRule = { what: 'shadow name', pattern: /^[a-zA-Z0-9:_-]+$/, awsPattern: '[a-zA-Z0-9:_-]+', min: 1, max: 64, allowed: 'letters, digits, : _ -' };
export const POLICY_NAME: NameRule = { what: 'policy name', pattern: /^[\w+=,.@-]+$/, awsPattern: '[\\w+=,.@-]+', min: 1, max: 128, allowed: 'letters, digits, _ + = , . @ -' };
export const THING_TYPE_NAME: NameRule = { what: 'thing type name', pattern: /^[a-zA-Z0-9:_-]+$/, awsPattern: '[a-zA-Z0-9:_-]+', min: 1, max: 128, allowed: 'letters, digits, : _ -' };
export const ATTRIBUTE_NAME: NameRule = { what: 'attribute name', pattern: /^[a-zA-Z0-9_.,@/:#-]+$/, awsPattern: '[a-zA-Z0-9_.,@/:#-]+', min: 1, max: 128, allowed: 'letters, digits, _ . , @ / : # -' };
export const ATTRIBUTE_VALUE: NameRule = { what: 'attribute value', pattern: /^[a-zA-Z0-9_.,@/:#=[\]-]*$/, awsPattern: '[a-zA-Z0-9_.,@/:#=\\[\\]-]*', min: 0, max: 800, allowed: 'letters, digits, _ . , @ / : # = [ ] -' };

/** Why a name breaks the rule, or undefined when it is fine. */
export function checkName(rule: NameRule, value: string): string | undefined {
  if (value.length < rule.min) return `The ${rule.what} is empty.`;
  if (value.length > rule.max) return `The ${rule.what} "${value.slice(0, 40)}..." is ${value.length} characters; at most ${rule.max} are allowed.`;
  if (!rule.pattern.test(value)) return `The ${rule.what} "${value}" has characters AWS IoT does not allow (allowed: ${rule.allowed}).`;
  return undefined;
}

