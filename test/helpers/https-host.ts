export { type Handler, type HttpsHost, json, startHttpsHost } from '../../src/testing/https-host.js';
