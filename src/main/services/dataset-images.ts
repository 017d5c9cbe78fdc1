import type { ResultOf } from '../../shared/api';
import { DatasetFileError } from '../nas/data/errors';
import { scanIdxFile } from '../nas/data/idx-stream';

// Images of a dataset picked by their index in one split's files (datasets.images): what the InstaNAS path
// gallery shows of the test instances each path took. Read without blocking, like datasets.samples.

export type DatasetImages = ResultOf<'datasets.images'>;

export async function readIdxImages(files: { images: string; labels: string }, indices: readonly number[]): Promise<DatasetImages> {
  const images = await scanIdxFile(files.images, { keepData: true });
  const labels = await scanIdxFile(files.labels, { keepData: true });
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) throw new DatasetFileError(files.labels, `holds ${labels.dims[0]} labels for ${count} images`, 'Delete the dataset and import it again.');
  const outside = indices.filter((i) => i >= count);
  if (outside.length) {
    throw new RangeError(`indices: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} beyond this split's ${count} images (0 to ${count - 1}).`);
  }
  const size = images.dataBytes / count;
  return indices.map((index) => ({
    index,
    label: labels.data![index]!,
    width,
    height,
    pixels: Buffer.from(images.data!.subarray(index * size, (index + 1) * size)).toString('base64'),
  }));
}
