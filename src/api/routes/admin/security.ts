/** OpenAPI `security` of every admin route: the ADMIN_TOKEN bearer scheme. */
export const ADMIN_SECURITY = [{ adminToken: [] }];
