/**
 * `mcp-cimd/testing`: helpers for tests and local development that users need too: a throwaway
 * certificate authority for loopback HTTPS, and a small HTTPS host to serve documents from.
 * Node only; never use these in production.
 *
 * @module
 */
export { type Handler, type HttpsHost, json, startHttpsHost } from './https-host.js';
export { createTestCa, type TestCa, type TestCaOptions } from './test-ca.js';
