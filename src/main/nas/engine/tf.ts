// tfjs-core with its chained tensor methods (x.mul(y)…) registered; the core package leaves them out of
// its index. Every module of the NAS core imports tfjs through here.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-core/dist/register_all_gradients';

export * from '@tensorflow/tfjs-core';
