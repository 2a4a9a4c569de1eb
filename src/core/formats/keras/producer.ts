import { Producer } from '../../graph/ir';

/** Major version of a Keras version string ("2.14.0", "2.1.6-tf", "3.6.0"); 2 when unknown. */
export function kerasMajor(version: string | undefined): number {
  const m = version ? /^(\d+)\./.exec(version.trim()) : null;
  return m ? Number(m[1]) : 2;
}

/** The producer of a file written by Keras itself (.h5, .keras). */
export function kerasProducer(version: string | undefined, backend?: string): Producer {
  if (!version) return { framework: 'keras', name: backend ? `keras (${backend})` : 'keras' };
  return { framework: 'keras', name: `keras ${version}`, version };
}

/**
 * The producer of a TF.js layers model: generatedBy names the tool that built the model ("keras
 * v2.14.0", "TensorFlow.js tfjs-layers v4.22.0"); old files only carry the Keras version.
 */
export function tfjsProducer(generatedBy: unknown, kerasVersion: unknown): Producer {
  const parse = (text: string): Producer | undefined => {
    const t = text.trim();
    const tfjs = /tfjs-layers\s+v?(\S+)/i.exec(t);
    if (tfjs) return { framework: 'tfjs', name: `tfjs-layers ${tfjs[1]}`, version: tfjs[1] };
    const keras = /^(?:tf\.)?keras\s+v?(\S+)/i.exec(t);
    if (keras) return { framework: 'keras', name: `keras ${keras[1]}`, version: keras[1] };
    if (/^\d+\.\d+/.test(t)) return { framework: 'keras', name: `keras ${t}`, version: t };
    return undefined;
  };
  return (
    (typeof generatedBy === 'string' ? parse(generatedBy) : undefined) ??
    (typeof kerasVersion === 'string' ? parse(kerasVersion) : undefined) ??
    { framework: 'tfjs', name: 'tfjs layers model' }
  );
}
