export { createTestCa, type TestCa, type TestCaOptions } from '../../src/testing/test-ca.js';
