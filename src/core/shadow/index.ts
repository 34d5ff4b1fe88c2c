/** The Device Shadow's rules, topics and documents (pure; see document.ts, request.ts, topics.ts). */
export * from './document.js';
export * from './json.js';
export * from './refusal.js';
export * from './request.js';
export * from './topics.js';
