import { Type } from 'typebox';
import { AccountId, AccountSchema } from '../../../domain/account.js';
import { listOf } from '../../schemas.js';

export const AccountParams = Type.Object({ accountId: AccountId }, { additionalProperties: false });
export const AccountList = listOf(AccountSchema, 'AccountList');
