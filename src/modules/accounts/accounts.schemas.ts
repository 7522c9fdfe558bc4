/**
 * Route schemas of the account pages. They only bound the shape and size of what is sent (every
 * field a string, unknown fields dropped); what the fields must mean (required, email format,
 * password rules) is checked by the Form so that users get GOV.UK messages, not a schema error.
 */
import { Type, type TObject, type TProperties } from 'typebox';

/** Generous bounds: the Form gives friendly messages well before these. */
const text = () => Type.Optional(Type.String({ maxLength: 2000 }));
const secret = () => Type.Optional(Type.String({ maxLength: 1024 }));

function formBody<P extends TProperties>(properties: P): TObject<P & { _csrf: ReturnType<typeof text> }> {
  return Type.Object({ ...properties, _csrf: text() }, { additionalProperties: false }) as TObject<P & { _csrf: ReturnType<typeof text> }>;
}

export const noQuery = Type.Object({}, { additionalProperties: false });
export const signInQuery = Type.Object({ returnTo: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export const signedOutQuery = Type.Object({ everywhere: Type.Optional(Type.Literal('1')) }, { additionalProperties: false });
export const tokenParams = Type.Object({ token: Type.String({ maxLength: 200 }) });

export const registerBody = formBody({ name: text(), email: text(), password: secret() });
export const signInBody = formBody({ email: text(), password: secret(), returnTo: text() });
export const emailOnlyBody = formBody({ email: text() });
export const emptyBody = formBody({});
export const resetPasswordBody = formBody({ newPassword: secret(), confirmPassword: secret() });
export const changeEmailBody = formBody({ email: text(), currentPassword: secret() });
export const changePasswordBody = formBody({ currentPassword: secret(), newPassword: secret(), confirmPassword: secret() });
