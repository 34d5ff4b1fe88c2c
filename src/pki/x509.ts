/**
 * The one place that loads @peculiar/x509. It needs a Reflect polyfill before it
 * is imported (tsyringe) and a WebCrypto provider; ESM evaluates imports in
 * order, so 'reflect-metadata' runs first.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
