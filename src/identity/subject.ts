import { usageError } from '../core/errors.js';

const FIELD = /^(CN|C|ST|L|O|OU|SERIALNUMBER|DNQUALIFIER|T|TITLE|SN|GN|GIVENNAME|SURNAME|INITIALS|PSEUDONYM|GENERATIONQUALIFIER|E|EMAILADDRESS)$/i;

/**
 * A CSR subject: `CN=<cn>` plus the fields of `--subject "O=Acme,C=US"`.
 * Values with `,` `+` `=` `"` `\` `<` `>` `;` are escaped as RFC 4514 asks.
 */
export function buildSubject(commonName: string, extra?: string): string {
  if (!commonName.trim()) throw usageError('INVALID_SUBJECT', 'The common name (--cn) is empty.');
  const parts = [`CN=${escapeValue(commonName)}`];
  for (const item of splitSubject(extra ?? '')) {
    const eq = item.indexOf('=');
    const field = eq > 0 ? item.slice(0, eq).trim() : '';
    if (!FIELD.test(field)) throw usageError('INVALID_SUBJECT', `"${item}" in --subject is not a known subject field=value pair.`, 'e.g. --subject "O=Acme,OU=Sensors,C=US"');
    if (field.toUpperCase() === 'CN') throw usageError('INVALID_SUBJECT', 'Give the common name with --cn, not in --subject.');
    if (field.toUpperCase() === 'C' && !/^[A-Za-z]{2}$/.test(item.slice(eq + 1).trim())) throw usageError('INVALID_SUBJECT', 'C (country) must be a two-letter code, e.g. C=US.');
    parts.push(`${field.toUpperCase()}=${escapeValue(item.slice(eq + 1).trim())}`);
  }
  return parts.join(', ');
}

function splitSubject(text: string): string[] {
  // Split on commas that are not escaped with a backslash.
  return text
    .split(/(?<!\\),/)
    .map((s) => s.replace(/\\,/g, ',').trim())
    .filter((s) => s.length > 0);
}

function escapeValue(value: string): string {
  return value.replace(/([,+="\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}
