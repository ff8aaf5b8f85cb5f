export { createTestCa, type TestCa } from '../../src/testing/test-ca.js';
