import { TEST_LAB } from '../labHarness.js';
import { replicationSuite } from './replicationSuite.js';

replicationSuite('lab replication (MirrorMaker 2, east->west)', () => TEST_LAB);
