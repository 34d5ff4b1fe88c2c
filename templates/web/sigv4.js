// AWS Signature Version 4 in the browser, with WebCrypto (a secure context:
// https://, or http://localhost and http://127.0.0.1).
//
// presignUrl: the wss:// URL AWS IoT Core takes for MQTT over WebSockets. Signed
//   for service iotdevicegateway with only the host header, and the session
//   token appended AFTER signing: AWS IoT refuses a URL whose signature covers it.
// signRequest: the headers of a signed HTTP request (an API Gateway call with
//   IAM authorization, service execute-api).

const encoder = new TextEncoder();
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
const bytes = (data) => (typeof data === 'string' ? encoder.encode(data) : data);

async function sha256Hex(data) {
  return hex(await crypto.subtle.digest('SHA-256', bytes(data)));
}

async function hmac(key, data) {
  const k = await crypto.subtle.importKey('raw', bytes(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', k, bytes(data));
}

// RFC 3986 percent-encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone).
const uriEncode = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

// 20261121T045128Z
const amzDate = (date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

async function signature({ secretAccessKey, day, region, service, stringToSign }) {
  let key = await hmac(`AWS4${secretAccessKey}`, day);
  key = await hmac(key, region);
  key = await hmac(key, service);
  key = await hmac(key, 'aws4_request');
  return hex(await hmac(key, stringToSign));
}

async function stringToSign(date, scope, canonicalRequest) {
  return ['AWS4-HMAC-SHA256', date, scope, await sha256Hex(canonicalRequest)].join('\n');
}

const canonicalQuery = (params) =>
  Object.keys(params)
    .sort()
    .map((k) => `${uriEncode(k)}=${uriEncode(params[k])}`)
    .join('&');

// The path as sent (already percent-encoded), each segment encoded once more: every AWS service but S3 expects it.
const canonicalPath = (pathname) => pathname.split('/').map(uriEncode).join('/');

/** `wss://host/mqtt?X-Amz-...&X-Amz-Signature=...&X-Amz-Security-Token=...` for credentials {accessKeyId, secretAccessKey, sessionToken}. */
export async function presignUrl({ url, region, credentials, service = 'iotdevicegateway', expiresSeconds = 300, now = new Date() }) {
  const u = new URL(url);
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const query = canonicalQuery({
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': date,
    'X-Amz-Expires': String(expiresSeconds),
    'X-Amz-SignedHeaders': 'host',
  });
  // u.host is what the browser sends as Host: the port only when it is not the scheme's default.
  const canonicalRequest = ['GET', canonicalPath(u.pathname), query, `host:${u.host}\n`, 'host', EMPTY_SHA256].join('\n');
  const sig = await signature({ ...credentials, day, region, service, stringToSign: await stringToSign(date, scope, canonicalRequest) });
  const token = credentials.sessionToken ? `&X-Amz-Security-Token=${uriEncode(credentials.sessionToken)}` : '';
  return `${u.protocol}//${u.host}${u.pathname}?${query}&X-Amz-Signature=${sig}${token}`;
}

/** The headers to send with a request signed in the header form (Authorization, X-Amz-Date, X-Amz-Security-Token). */
export async function signRequest({ method, url, region, service, credentials, body = '', now = new Date() }) {
  const u = new URL(url);
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const headers = { host: u.host, 'x-amz-date': date };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const query = canonicalQuery(Object.fromEntries(u.searchParams));
  const canonicalRequest = [method, canonicalPath(u.pathname), query, names.map((n) => `${n}:${headers[n]}\n`).join(''), names.join(';'), await sha256Hex(body)].join('\n');
  const sig = await signature({ ...credentials, day, region, service, stringToSign: await stringToSign(date, scope, canonicalRequest) });
  delete headers.host; // the browser sets it
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
  return headers;
}
