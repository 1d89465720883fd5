// The vision encoder session: a batch's patches in, each image's features out.
import * as ort from 'onnxruntime-node';
import { int64, type TypedArray } from './feeds.js';

/** One image's patches, as a job carries them. */
export interface EncoderImage {
  pixelValues: Float32Array;
  grid: [number, number, number];
  /** Visual tokens after merging: the features' rows. */
  tokens: number;
}

export class VisionEncoder {
  private multiImage = true;

  constructor(private readonly session: ort.InferenceSession) {}

  /** One vision-encoder call for the batch, or one per image if the export takes only one. */
  async encode(images: EncoderImage[]): Promise<TypedArray[]> {
    if (images.length > 1 && this.multiImage) {
      try {
        return split(await this.run(images), images);
      } catch {
        this.multiImage = false; // this export takes one image per call
      }
    }
    const parts: TypedArray[] = [];
    for (const image of images) parts.push(...split(await this.run([image]), [image]));
    return parts;
  }

  private async run(subset: EncoderImage[]): Promise<TypedArray> {
    const gridName = this.session.inputNames.find((n) => n.includes('grid')) ?? 'grid_thw';
    const patches = subset.reduce((s, r) => s + r.grid[0] * r.grid[1] * r.grid[2], 0);
    const total = subset.reduce((s, r) => s + r.pixelValues.length, 0);
    const patchDim = total / patches;
    const pixels = new Float32Array(total);
    let at = 0;
    for (const r of subset) {
      pixels.set(r.pixelValues, at);
      at += r.pixelValues.length;
    }
    const out = await this.session.run({
      pixel_values: new ort.Tensor('float32', pixels, [patches, patchDim]),
      [gridName]: int64(subset.flatMap((r) => r.grid), [subset.length, 3]),
    });
    return (out[this.session.outputNames[0] as string] as ort.Tensor).data as TypedArray;
  }
}

/** The encoder's output cut into each image's features. */
function split(data: TypedArray, subset: EncoderImage[]): TypedArray[] {
  const hidden = data.length / subset.reduce((s, r) => s + r.tokens, 0);
  let at = 0;
  return subset.map((r) => {
    const part = data.subarray(at, at + r.tokens * hidden) as TypedArray;
    at += r.tokens * hidden;
    return part;
  });
}
