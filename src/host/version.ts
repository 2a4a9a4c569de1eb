import pkg from '../../package.json';

/** Linear Lens's own version, from package.json (bundled in at build time). */
export const LINEAR_LENS_VERSION: string = pkg.version;
