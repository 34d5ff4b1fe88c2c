/** Keys, CSRs and a local CA; shared by `iotctl keygen`/`csr`/`provision` and the local IoT Core. */
export * from './keys.js';
export * from './names.js';
export * from './certificate.js';
export * from './csr.js';
export * from './ca.js';
