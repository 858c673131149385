/**
 * How long a license lasts: HP's `license_type` and BlackBerry's `licenseInfo.type`. In a module
 * of its own because licenses and the policies they are issued from both need it.
 */
export const LICENSE_TERMS = ['PERPETUAL', 'SUBSCRIPTION', 'TRIAL', 'DEMO'] as const;
export type LicenseTerm = (typeof LICENSE_TERMS)[number];
