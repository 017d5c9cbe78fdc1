// Datasets installed system-wide, outside the app. Kept apart from the job runner so that code which only
// lists or imports datasets (the datasets service) does not load the training engine.

/** Debian's dataset-fashion-mnist package: the four gzip IDX files of Fashion-MNIST. */
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
