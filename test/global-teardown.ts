// Run by tap after the test files: stop the suite's PostgreSQL.
import { stopTestCluster } from './support/test-cluster.js';

stopTestCluster();
