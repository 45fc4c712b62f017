/** mkosi-ci's own version; a unit test keeps it equal to package.json's. */
export const MKOSI_CI_VERSION = '0.1.0';
