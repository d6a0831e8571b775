"""Staff accounts at one node: argon2 password hashes, login tokens, lock-out after failures.

A login yields a random token valid for a working day (`LOGIN_HOURS`) at this node only: the node
keeps its SHA-256, never the token. Five wrong passwords in a row (each within fifteen minutes of
the one before) lock the account for fifteen minutes, whether they came through the CLI or the web
desk, so guessing is slow everywhere. A name that is no account is answered in the same words, after
the same argon2 work, and locks after as many failures: the answers do not tell who has an account.

Every administration of an account — and a person's change of their own password — is written to
the 操作记录 (`StaffChange`) in the change's own transaction: who, when, whose account, what, in a
short Chinese sentence (never a password or its hash). A change that changes nothing is not written.
A refused login is written there too, for an account (密码错误, 锁定中, 已停用: the 管理员 sees who is
tried), as is every lock-out, of a name that is no account as well; and every refused login goes to
the node's log with the name typed and where it came from (网页 or 命令行 and the address), never the
password typed.
"""

from __future__ import annotations

import builtins
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from node.clock import Clock, SystemClock
from node.errors import InvalidInput, NotFound, clean_text
from node.staff.roles import Actor, NotLoggedIn, NotPermitted, Role, account_role, parse_role
from node.store.models import StaffAccount, StaffChange, StaffLogin, StaffLoginFailure
from node.timeutil import as_utc, shanghai

log = logging.getLogger(__name__)

LOGIN_HOURS = 12
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 8
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters (RFC 9106)
# what a name that is no account is checked against, for the same argon2 work as a real account's:
# the hash, with the parameters new accounts get, of a random secret nobody kept (written here, not
# made at import: every CLI command imports this module, and hashing takes ~0.2 s)
_NOBODY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$PAAm/kbd6AmfZY9xFLgDnw$to9iG5HqSt4OIC2PN4fD0cOIP1YTU9Rw5ird6eruz6g"
)


WRONG = "用户名或密码错误 (wrong username or password)"
# a clerk locked out, or who forgot the password, is not stuck until the lock ends: a 管理员's new
# password unlocks the account (set_password). The lock's words name no time: an account's and a
# name's that is none must read alike, whenever each was tried
FORGOTTEN = "忘记密码请找本节点的管理员设置新密码，设置后即可登录"
OPERATOR_WORDS = "运维（命令行）"  # who the node's operator is in the 操作记录
# the 操作人 of a refused login in the 操作记录: whoever typed the name, not known to be its holder
ATTEMPT = "*"  # no username: USERNAME does not allow it
ATTEMPT_WORDS = "未登录者"
LOG_LIMIT = 50  # changes the 操作记录 shows unless asked for more
MAX_LOG_LIMIT = 1000


@dataclass(frozen=True)
class StaffView:
    username: str
    name: str
    role: Role
    department: str
    active: bool
    locked_until: datetime | None


@dataclass(frozen=True)
class StaffChangeView:
    """One line of the 操作记录, with the names the accounts have now."""

    at: datetime
    by: str  # username; "" for the node's operator
    by_name: str
    username: str
    name: str
    what: str

    @property
    def by_words(self) -> str:
        """操作人: 陈管理（web-admin）, 运维（命令行） for the node's operator, 未登录者 for a login."""
        if self.by == ATTEMPT:
            return ATTEMPT_WORDS
        return _person_words(self.by_name, self.by) if self.by else OPERATOR_WORDS

    @property
    def account_words(self) -> str:
        return _person_words(self.name, self.username)


@dataclass(frozen=True)
class KnownDepartments:
    """The departments a 窗口受理 or 审核/审批 may belong to at a node."""

    handled_here: list[str]  # of the items handled at the node: those a refusal names
    in_catalogue: list[str]  # of every item: a window here takes applications in for those too


@dataclass(frozen=True)
class Login:
    token: str
    expires_at: datetime
    staff: StaffView


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffService:
    def __init__(
        self,
        here: str,
        sessions: sessionmaker[Session],
        departments: Callable[[], KnownDepartments],
        clock: Clock | None = None,
    ) -> None:
        """departments: those a 窗口受理 or 审核/审批 may belong to here (of the catalogue's items),
        read at each change: the catalogue changes."""
        self.here = here
        self._sessions = sessions
        self._departments = departments
        self._clock = clock or SystemClock()

    # -- administration (管理员, or the node's operator) ----------------------------------------

    def add(
        self, username: str, name: str, role: str, department: str, password: str, *, by: Actor
    ) -> StaffView:
        """A new account (新建账号), by a 管理员 or the node's operator (`by`)."""
        username = _checked_username(username)
        name = clean_text("name", name, 100, required=True, single_line=True, person_name=True)
        department = clean_text("department", department, 100, single_line=True)
        parsed = account_role(role, department)
        if department and not parsed.needs_department:
            # kept it would not be, and the role was most often left at the form's first choice
            raise InvalidInput(
                f"{parsed.label}不属于部门：所填部门 {department} 不会保存。若是该部门的工作人员，"
                f"请改选窗口受理或审核/审批；否则请清空部门 "
                f"(a {parsed.label} ({parsed.value}) belongs to no department)"
            )
        department = self._known_department(parsed, department)
        password_hash = _hash(password, username, name)
        with self._sessions.begin() as session:
            if session.scalars(select(StaffAccount).where(StaffAccount.username == username)).first():
                raise InvalidInput(
                    f"账号 {username} 已存在 (staff account {username} exists already at {self.here})"
                )
            account = StaffAccount(
                username=username,
                name=name,
                role=parsed.value,
                department=department,
                password_hash=password_hash,
                active=True,
                failures=0,
                created_at=self._clock.now(),
                password_to_change=by.is_person,  # a 管理员 knows it: its holder chooses their own
            )
            session.add(account)
            where = f"，{department}" if department else ""
            self._record(session, by.username, username, f"新建账号（{parsed.label}{where}）")
            return _view(account)

    def list(self) -> list[StaffView]:
        now = self._clock.now()
        with self._sessions() as session:
            locked = select(StaffLoginFailure.username, StaffLoginFailure.locked_until)
            rows = session.execute(locked.where(StaffLoginFailure.locked_until > now))
            locks = {username: as_utc(until) for username, until in rows if until is not None}
            accounts = session.scalars(select(StaffAccount).order_by(StaffAccount.username))
            return [_view(a, locks.get(a.username)) for a in accounts]

    def change(self, username: str, role: str = "", department: str | None = None, *, by: Actor) -> StaffView:
        """A new role and/or department ("" and None keep the current ones), checked as for a new
        account. A change ends the account's logins: each carries the role it was made with. A
        管理员 does not change their own (NotPermitted): another 管理员 or the operator does."""
        if by.is_person and by.username == username.strip().lower():
            raise NotPermitted("不能更改自己的岗位或部门 (an administrator does not change their own role)")
        department = (
            None if department is None else clean_text("department", department, 100, single_line=True)
        )
        with self._sessions() as session:
            current = _account(session, username)
            parsed = parse_role(role) if role.strip() else Role(current.role)
            wanted = current.department if department is None else department
        account_role(parsed.value, wanted)  # a department's role needs one
        wanted = self._known_department(parsed, wanted)
        with self._sessions.begin() as session:
            account = _account(session, username)
            what = _change_words(Role(account.role), account.department, parsed, wanted)
            if what:
                account.role, account.department = parsed.value, wanted
                _end_logins(session, account.username)
                self._record(session, by.username, account.username, what)
            return _view(account)

    def disable(self, username: str, *, by: Actor) -> StaffView:
        """停用: disable an account and end its logins (accounts are never deleted: events name them).
        A 管理员 keeps their own (NotPermitted): a node whose only 管理员 disabled themselves has none."""
        if by.is_person and by.username == username.strip().lower():
            raise NotPermitted("不能停用自己正在使用的账号 (an administrator keeps their own account)")
        with self._sessions.begin() as session:
            account = _account(session, username)
            if account.active:
                account.active = False
                self._record(session, by.username, account.username, "停用")
            _end_logins(session, account.username)
            return _view(account)

    def enable(self, username: str, *, by: Actor) -> StaffView:
        """启用: a disabled account in use again, with its password (and role) as they were."""
        with self._sessions.begin() as session:
            account = _account(session, username)
            if not account.active:
                account.active = True
                self._record(session, by.username, account.username, "启用")
            return _view(account)

    def _known_department(self, role: Role, department: str) -> str:
        """The department an account of role belongs to: one of the catalogue's items, or
        InvalidInput naming those handled here; "" for a role not bound to one."""
        if not role.needs_department:
            return ""
        known = self._departments()
        if department in known.handled_here or department in known.in_catalogue:
            return department
        if known.handled_here:
            raise InvalidInput(
                f"没有部门 {department}；本节点办理事项的部门有：{'、'.join(known.handled_here)} "
                f"(no department {department!r} handles items at {self.here})"
            )
        if known.in_catalogue:
            raise InvalidInput(
                f"没有部门 {department}；本节点不办理事项，事项目录中的部门有："
                f"{'、'.join(known.in_catalogue)} "
                f"(no department {department!r} in the catalogue)"
            )
        raise InvalidInput(
            f"没有部门 {department}；本节点尚无事项目录 "
            f"(no catalogue at {self.here} yet: no department to belong to)"
        )

    def set_password(self, username: str, password: str, *, by: Actor) -> StaffView:
        """重置密码: a new password (and an unlocked account); every existing login of the account ends.
        Not a 管理员's own (NotPermitted): a browser left logged in must not take the account without
        its current password; change_own_password asks for it."""
        if by.is_person and by.username == username.strip().lower():
            raise NotPermitted(
                "不能在此重置自己的密码：请在「修改密码」中输入当前密码后修改 "
                "(an administrator changes their own password with the current one)"
            )
        return self._new_password(
            username, _hash(password, username, self._name_of(username)), by, "重置密码"
        )

    def change_own_password(self, username: str, current: str, new: str) -> StaffView:
        """A person's new password, given their current one: a wrong one is refused (NotPermitted)
        and counted toward the lock-out as at login. Every login of the account ends, this one too.
        The new password must differ from the current one: "changing" a password a 管理员 set to
        itself would clear the duty to change it while the 管理员 still knows it."""
        if new == current:
            raise InvalidInput(
                "新密码与当前密码相同：请换一个只有自己知道的新密码 (the new password is the current one)"
            )
        password_hash = _hash(new, username, self._name_of(username))  # refused before anything is counted
        try:
            self.login(username, current, source="修改密码")  # counted if it is not their password
        except NotLoggedIn as refused:
            raise NotPermitted(f"当前密码未通过验证：{refused}") from refused
        return self._new_password(username, password_hash, None, "本人修改密码")

    def _new_password(self, username: str, password_hash: str, by: Actor | None, what: str) -> StaffView:
        """by None: the account's own person, given their current password."""
        with self._sessions.begin() as session:
            account = _account(session, username)
            account.password_hash = password_hash
            # a password a 管理员 set is theirs too: its holder changes it at their next login
            account.password_to_change = by is not None and by.is_person
            session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.username == account.username))
            _end_logins(session, account.username)
            self._record(session, account.username if by is None else by.username, account.username, what)
            return _view(account)

    # -- the 操作记录 ---------------------------------------------------------------------------

    def _record(self, session: Session, by: str, username: str, what: str) -> None:
        """One line of the 操作记录, in the transaction of the change it records; by is the acting
        account's username ("" for the node's operator, whose Actor has none)."""
        session.add(StaffChange(at=self._clock.now(), by=by, username=username, what=what))

    def log(self, limit: int = LOG_LIMIT) -> builtins.list[StaffChangeView]:  # list: the method above
        """The newest changes first (at most `limit`, up to MAX_LOG_LIMIT)."""
        limit = max(1, min(limit, MAX_LOG_LIMIT))
        newest = select(StaffChange).order_by(StaffChange.at.desc(), StaffChange.id.desc()).limit(limit)
        with self._sessions() as session:
            changes = list(session.scalars(newest))
        names = self.names({c.by for c in changes if c.by} | {c.username for c in changes})
        return [
            StaffChangeView(
                at=as_utc(c.at),
                by=c.by,
                by_name=names.get(c.by, ""),
                username=c.username,
                name=names.get(c.username, ""),
                what=c.what,
            )
            for c in changes
        ]

    # -- logging in ----------------------------------------------------------------------------

    def login(self, username: str, password: str, *, source: str = "") -> Login:
        """A token for this node, or NotLoggedIn saying why (wrong password, locked, disabled);
        `source` says where the attempt came from for the records of a refusal (网页，来自 10.0.0.7).

        A name that is no account is answered as an account with another password is, after the
        same argon2 work, and locks after as many failures; a disabled account says so only to the
        right password. A wrong password is counted in its own committed transaction before the
        refusal, so the lock-out holds however the caller handles the error."""
        name = username.strip().lower()
        if not USERNAME.match(name):  # never an account's name: nothing to count, nothing to tell
            _matches(_NOBODY_HASH, password)
            log.warning("登录失败：用户名 %r 不合账号格式%s", username[:64], _from(source))
            raise NotLoggedIn(WRONG)
        try:
            return self._login(name, password, source)
        except IntegrityError:  # two first failures of one name at once: the other was counted
            log.warning("登录失败：账号 %s 密码错误%s", name, _from(source))
            raise NotLoggedIn(WRONG) from None

    def _login(self, name: str, password: str, source: str) -> Login:
        now = self._clock.now()
        with self._sessions.begin() as session:
            named = select(StaffAccount).where(StaffAccount.username == name)
            account = session.scalars(named.with_for_update()).first()
            failure = session.get(StaffLoginFailure, name, with_for_update=True)
            # verified whatever follows, locked or not, account or not: the time tells nothing
            right = _matches(account.password_hash if account else _NOBODY_HASH, password)
            locked_until = None  # a lock this refusal sets
            if failure is not None and failure.locked_until and as_utc(failure.locked_until) > now:
                refusal = (
                    f"账号 {name} 已锁定，请于 {LOCK_MINUTES} 分钟后再试；{FORGOTTEN} "
                    f"(locked after {MAX_FAILURES} wrong passwords)"
                )
                what = f"登录被拒：账号锁定中，至 {shanghai(failure.locked_until)}（北京时间）"
            elif account is None or not right:
                refusal, locked_until = _count_failure(session, name, failure, now)
                what = "登录失败：密码错误" if account is not None else "登录失败：无此账号"
                if locked_until is not None:
                    what += f"，连续 {MAX_FAILURES} 次，锁定至 {shanghai(locked_until)}（北京时间）"
            elif not account.active:
                refusal = f"账号 {account.username} 已停用 (the account is disabled)"
                what = "登录被拒：账号已停用"
            else:
                if failure is not None:
                    session.delete(failure)
                if _hasher.check_needs_rehash(account.password_hash):
                    account.password_hash = _hasher.hash(password)  # as it is: rules are for new ones
                token = secrets.token_urlsafe(32)
                expires = now + timedelta(hours=LOGIN_HOURS)
                session.add(
                    StaffLogin(
                        token_hash=token_digest(token),
                        username=account.username,
                        created_at=now,
                        expires_at=expires,
                    )
                )
                return Login(token, expires, _view(account))
            # an account's refusals are the 管理员's to see; of a name that is no account, its lock
            # (one line for many tries: the log stays bounded as the failures are)
            if account is not None or locked_until is not None:
                self._record(session, ATTEMPT, name, f"{what}{_from(source)}"[:200])
        log.warning("%s（账号 %s）%s", what, name, _from(source))
        raise NotLoggedIn(refusal)

    def logout(self, token: str) -> None:
        with self._sessions.begin() as session:
            login = session.get(StaffLogin, token_digest(token))
            if login is not None:
                session.delete(login)

    def actor(self, token: str) -> Actor:
        """The person a token belongs to, or NotLoggedIn when it is unknown, expired or disabled."""
        now = self._clock.now()
        with self._sessions() as session:
            found = session.execute(_WHO_HOLDS, {"token_hash": token_digest(token)}).first()
        if found is None or as_utc(found.expires_at) <= now:
            raise NotLoggedIn("未登录或登录已过期，请重新登录 (not logged in, or the login expired)")
        if not found.active:
            raise NotLoggedIn(f"账号 {found.username} 已停用 (the account is disabled)")
        return Actor(
            node=self.here,
            username=found.username,
            name=found.name,
            role=Role(found.role),
            department=found.department,
            password_to_change=found.password_to_change,
        )

    def _name_of(self, username: str) -> str:
        with self._sessions() as session:
            account = session.get(StaffAccount, username.strip().lower())
            return account.name if account is not None else ""

    def names(self, usernames: set[str]) -> dict[str, str]:
        with self._sessions() as session:
            rows = session.execute(
                select(StaffAccount.username, StaffAccount.name).where(StaffAccount.username.in_(usernames))
            )
            return {username: name for username, name in rows}


def _count_failure(
    session: Session, name: str, failure: StaffLoginFailure | None, now: datetime
) -> tuple[str, datetime | None]:
    """Count a wrong password for name (an account's or not), lock it at MAX_FAILURES, and say so
    (with the end of the lock it set).

    Kept in the database, not in memory: every replica of the node and both of its desks count the
    same failures for a name that is no account as they do for an account's (which must survive a
    restart), or the difference would tell them apart. Bounded: failures count only while each
    comes within LOCK_MINUTES of the one before, so a row whose failures and lock are both over
    means nothing and is deleted here; at one argon2 hash a failure, they cannot pile up."""
    window = timedelta(minutes=LOCK_MINUTES)
    session.execute(
        delete(StaffLoginFailure).where(
            StaffLoginFailure.username != name,
            StaffLoginFailure.last_failed_at <= now - window,
            or_(StaffLoginFailure.locked_until.is_(None), StaffLoginFailure.locked_until <= now),
        )
    )
    if failure is None:
        failure = StaffLoginFailure(username=name, failures=0, last_failed_at=now, locked_until=None)
        session.add(failure)
    elif as_utc(failure.last_failed_at) <= now - window:
        failure.failures, failure.locked_until = 0, None  # the earlier ones were too long ago
    failure.failures += 1
    failure.last_failed_at = now
    if failure.failures < MAX_FAILURES:
        return WRONG, None
    failure.failures, failure.locked_until = 0, now + window
    return (
        f"密码连续错误 {MAX_FAILURES} 次，账号锁定 {LOCK_MINUTES} 分钟；{FORGOTTEN} "
        "(too many wrong passwords: the account is locked)",
        failure.locked_until,
    )


def _from(source: str) -> str:
    """Where a login came from, as the records say it: （网页，来自 10.0.0.7）, or nothing unknown."""
    return f"（{source}）" if source else ""


def _change_words(role: Role, department: str, new_role: Role, new_department: str) -> str:
    """What a change of role and department does, for the 操作记录: 角色 窗口受理→审核/审批；部门
    民政局→公安局 ("" when it changes nothing)."""
    said = []
    if role is not new_role:
        said.append(f"角色 {role.label}→{new_role.label}")
    if department != new_department:
        said.append(f"部门 {department or '（无）'}→{new_department or '（无）'}")
    return "；".join(said)


def _person_words(name: str, username: str) -> str:
    return f"{name}（{username}）" if name else username


def _end_logins(session: Session, username: str) -> None:
    for login in session.scalars(select(StaffLogin).where(StaffLogin.username == username)):
        session.delete(login)


def require_admin(actor: Actor) -> None:
    if actor.is_person and actor.role is not Role.ADMIN:
        raise NotPermitted(f"{actor.describe()}: only a 管理员 (admin) manages staff accounts")


def _checked_username(username: str) -> str:
    value = username.strip().lower()
    if not USERNAME.match(value):
        raise InvalidInput(
            f"用户名 {username.strip()[:40]} 不合规定：须为 2–32 位小写字母 a–z、数字 0–9 或 . _ -，"
            "以字母或数字开头，不能有空格或汉字（姓名另填） "  # the space: the desk shows no English
            f"(username {username!r}: 2–32 characters of a–z, 0–9, '.', '_' or '-', "
            "starting with a letter or digit)"
        )
    return value


def _hash(password: str, username: str, name: str) -> str:
    """The hash of a new password for the account, InvalidInput saying why a guessable one is refused."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD_LENGTH} 位 (at least {MIN_PASSWORD_LENGTH} characters)")
    weakness = _weakness(password, username, name)
    if weakness:
        raise InvalidInput(f"{weakness}，容易被人猜中：请换一个只有自己知道的密码")
    return _hasher.hash(password)


# the passwords guessed first (lists of leaked passwords, the Chinese ones among them), 8 or more
# characters; sequences and repetitions are refused by their shape
COMMON_PASSWORDS = frozenset(
    {
        "password", "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "iloveyou",
        "qwerty123", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "qwer1234", "asdf1234", "zxcv1234",
        "abc12345", "abcd1234", "a1234567", "a12345678", "aa123456", "aa123123", "admin123",
        "admin888", "admin1234", "administrator", "root1234", "welcome1", "woaini1314", "woaini520",
        "5201314", "52013145", "520131400", "1314520520", "qweasdzxc", "123qweasd", "qazwsxedc",
        "123456abc", "123456aa", "12345678a", "123456789a", "1234qwer", "letmein1", "changeme",
        "sunshine", "football", "baseball", "princess", "dragon12", "trustno1", "zhang123",
        "wang1234", "li123456", "19491001", "20080808",
    }
)  # fmt: skip
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _weakness(password: str, username: str, name: str) -> str:
    """Why a new password is guessable, in the refusal's words ("" if it is not)."""
    plain = password.strip().lower()
    if plain in COMMON_PASSWORDS:
        return "这是最常用的密码之一 (a common password)"
    if len(set(plain)) == 1:
        return "密码全是同一个字符 (all one character)"
    if any(plain == plain[:size] * (len(plain) // size) for size in range(2, 5) if len(plain) % size == 0):
        return "密码是几个字符的简单重复 (a short group repeated)"
    if any(plain in run or plain in run[::-1] for run in (*_SEQUENCES, "1234567890")):
        return "密码是连续的数字、字母或键盘上的一排，如 12345678、abcdefgh (a simple sequence)"
    said = {username.strip().lower(), name.strip().lower()} - {""}
    if any(plain == part or ((len(part) >= 3 or not part.isascii()) and part in plain) for part in said):
        return "密码含有用户名或姓名 (contains the username or the person's name)"
    return ""


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# whose a token is, asked at every desk call and web page: one statement, built once
_WHO_HOLDS = (
    select(
        StaffLogin.expires_at,
        StaffAccount.username,
        StaffAccount.name,
        StaffAccount.role,
        StaffAccount.department,
        StaffAccount.active,
        StaffAccount.password_to_change,
    )
    .join(StaffAccount, StaffAccount.username == StaffLogin.username)
    .where(StaffLogin.token_hash == bindparam("token_hash"))
)


def _account(session: Session, username: str) -> StaffAccount:
    account = session.scalars(
        select(StaffAccount).where(StaffAccount.username == username.strip().lower())
    ).first()
    if account is None:
        raise NotFound(f"本节点没有账号 {username} (no staff account {username!r} at this node)")
    return account


def _view(account: StaffAccount, locked_until: datetime | None = None) -> StaffView:
    return StaffView(
        username=account.username,
        name=account.name,
        role=Role(account.role),
        department=account.department,
        active=account.active,
        locked_until=locked_until,
    )
