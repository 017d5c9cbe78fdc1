export { Store, progressFraction } from './store';
export { openDatabase, NewerSchemaError, NotANasStudioDatabaseError, type SqliteDatabase } from './open-database';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index';
export { RunRepository, INTERRUPTED_RUN_ERROR, type CreateRunOptions, type RunDatasetRef, type RunKind } from './run-repository';
export { MetricRepository, VALIDATION_ACCURACY_METRICS, type MetricPoint } from './metric-repository';
export { SnapshotRepository, type SnapshotKind } from './snapshot-repository';
export { ArtifactRepository, type Artifact, type ArtifactInput, type ArtifactKind } from './artifact-repository';
export { LogRepository } from './log-repository';
export { DatasetRepository, type DatasetInput } from './dataset-repository';
