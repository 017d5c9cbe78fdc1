// Class names are data of a dataset: the IDX format stores only label numbers, so names come from what the
// set is known to be. Fashion-MNIST is recognised by its name or by the checksum of a known copy.

/** Fashion-MNIST's ten classes, in label order (Xiao, Rasul & Vollgraf, 2017). */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/**
 * SHA-256 of the four files (train images, train labels, test images, test labels, in that order) of known
 * Fashion-MNIST copies: the built-in demo set and Debian's dataset-fashion-mnist package.
 */
export const KNOWN_FASHION_MNIST_CHECKSUMS: readonly string[] = Object.freeze([
  '51c95124f13dbe56f857477a4b63b070dc7ef9a0dd0c461f7e075a4a45429a4f',
  '362ba1f5424f406d0db9c78b0e83db011b09c121c5c5f94ee5c077628f9adb5c',
]);

/** The class names of a dataset, or null when they are not known (labels are then shown as numbers). */
export function classNamesFor(d: { name: string; classes: number; checksum: string }): string[] | null {
  if (d.classes !== FASHION_MNIST_CLASS_NAMES.length) return null;
  const known = KNOWN_FASHION_MNIST_CHECKSUMS.includes(d.checksum.replace(/^sha256:/, ''));
  return known || /fashion[\s_-]*mnist/i.test(d.name) ? [...FASHION_MNIST_CLASS_NAMES] : null;
}
