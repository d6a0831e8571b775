"""The Desk gRPC service: thin, it reads like desk.proto and hands work to node/ services.

Every call must come over mTLS with this node's own certificate (the window and the node's
operators). A person's call also carries their login token (metadata "wuji-staff-token"): the
services then check their role and department and name them in every event. Domain errors
become gRPC statuses here and nowhere else.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar, cast

import grpc

from node.cases import deferrals, submissions
from node.cases import materials as files
from node.cases.service import Applicant
from node.catalogue import implementation
from node.catalogue import items as catalog
from node.convert import action_from_proto, item_to_proto, state_from_proto
from node.desk import TOKEN_METADATA
from node.desk.documents import DocumentDesk, issuer_of
from node.errors import (
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    NotReady,
    Unforeseen,
    WrongNode,
    unforeseen,
)
from node.staff.accounts import StaffView, require_admin
from node.staff.roles import Actor, Duty, NotLoggedIn, NotPermitted, PasswordToChange, operator
from node.supervision.period import parse_period
from node.timeutil import to_timestamp
from node.trust import partners
from node.workdays import FIRST_YEAR, LAST_YEAR, CalendarNotCovered, china_date, year_summary
from signing.algorithms import Algorithm
from sync.auth import PeerAuthenticator, require_peer
from wuji.v1 import case_pb2, desk_pb2, desk_pb2_grpc

if TYPE_CHECKING:
    from node.runtime.node import Node

log = logging.getLogger(__name__)

_caller: ContextVar[Actor] = ContextVar("desk_caller")

STATUS_OF: dict[type[DomainError], grpc.StatusCode] = {
    NotLoggedIn: grpc.StatusCode.UNAUTHENTICATED,
    NotPermitted: grpc.StatusCode.PERMISSION_DENIED,
    # the person's own next step (wuji staff passwd), not a refusal a colleague's login would lift
    PasswordToChange: grpc.StatusCode.FAILED_PRECONDITION,
    NotFound: grpc.StatusCode.NOT_FOUND,
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    submissions.KeyUsedBefore: grpc.StatusCode.INVALID_ARGUMENT,
    IllegalTransition: grpc.StatusCode.FAILED_PRECONDITION,
    WrongNode: grpc.StatusCode.FAILED_PRECONDITION,
    NotReady: grpc.StatusCode.FAILED_PRECONDITION,
    CalendarNotCovered: grpc.StatusCode.FAILED_PRECONDITION,
}

_UNFORESEEN_STATUS = {
    Unforeseen.DISK_FULL: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Unforeseen.DAMAGED_DATABASE: grpc.StatusCode.DATA_LOSS,
    Unforeseen.INTERNAL: grpc.StatusCode.INTERNAL,
}

Request = TypeVar("Request")
Reply = TypeVar("Reply")


def _desk_call(
    method: Callable[[DeskServicer, Request, grpc.ServicerContext], Reply],
) -> Callable[[DeskServicer, Request, grpc.ServicerContext], Reply]:
    """Authenticate the caller as this node's operator, then map domain errors to statuses, and
    any other failure to words (its traceback to the log)."""

    @functools.wraps(method)
    def wrapper(self: DeskServicer, request: Request, context: grpc.ServicerContext) -> Reply:
        try:
            caller = require_peer(self._authenticator, context)  # reads revocations: the database
            if caller != self._node.here:
                context.abort(
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"the desk of {self._node.here} serves its own operators; the caller is {caller}",
                )
            # gRPC gives a key without the "-bin" suffix a str value (bytes are for "-bin" keys)
            token = cast(str, dict(context.invocation_metadata()).get(TOKEN_METADATA, ""))
            _caller.set(self._node.staff.actor(token) if token else operator(self._node.here.value))
            _require_own_password(method.__name__, request)
            return method(self, request, context)
        except DomainError as error:
            context.abort(STATUS_OF.get(type(error), grpc.StatusCode.FAILED_PRECONDITION), str(error))
        except ValueError as error:  # malformed codes and names from the wire
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except Exception as error:
            # the method's own abort (grpcio's ServicerContext has code(); its stubs do not say so)
            if context.code() is not None:  # type: ignore[attr-defined]
                raise
            log.exception("the desk's %s failed", method.__name__)
            kind = unforeseen(error)  # said in words, not as the SQL statement that met it
            context.abort(_UNFORESEEN_STATUS[kind], kind.value)

    return wrapper


def _require_own_password(call: str, request: Any) -> None:
    """A person whose password a 管理员 set changes it before anything else, as on the web desk."""
    actor = _caller.get()
    if not actor.is_person or call in ("Logout", "WhoAmI"):
        return
    if call == "SetStaffPassword" and request.username.strip().lower() == actor.username:
        return
    if actor.password_to_change:  # read with the login, not asked again
        raise PasswordToChange(
            f"账号 {actor.username} 的密码是管理员设置的，请先改为只有自己知道的密码再办理："
            f"wuji staff passwd {actor.username} (change the password an administrator set first)"
        )


def _source(context: grpc.ServicerContext) -> str:
    """Where a CLI login came from, for the records of a refused one: 命令行，来自 10.0.0.7 (gRPC
    names its peer ipv4:10.0.0.7:51234 or ipv6:[::1]:51234)."""
    peer = context.peer() or ""
    kind, _, address = peer.partition(":")
    if kind in ("ipv4", "ipv6"):
        address = address.rpartition(":")[0].strip("[]") or address
    return f"命令行，来自 {address}" if address else "命令行"


class DeskServicer(desk_pb2_grpc.DeskServicer):
    def __init__(self, node: Node, authenticator: PeerAuthenticator) -> None:
        self._node = node
        self._authenticator = authenticator
        self._documents = DocumentDesk(
            issuer_of(node.config),
            node.readers,
            node.cases,
            node.clock,
            node.config.verify_url,
            node.names,
        )

    @_desk_call
    def SubmitCase(self, request: desk_pb2.SubmitCaseRequest, context: grpc.ServicerContext) -> case_pb2.Case:
        key = submissions.checked_key(request.submission_key)

        def taken_in_before(earlier: submissions.TakenIn) -> case_pb2.Case:
            if not earlier.case_id:  # the key took in a bundle
                raise submissions.KeyUsedBefore(key, earlier)
            return self._node.cases.get(earlier.case_id, by=_caller.get())

        sent = submissions.Sent(request.item_code, request.applicant.id_number)
        return submissions.once(
            self._node.readers, key, sent, lambda: self._submit_case(request, key), taken_in_before
        )

    def _submit_case(self, request: desk_pb2.SubmitCaseRequest, key: str) -> case_pb2.Case:
        return self._node.cases.submit(
            request.item_code,
            Applicant(request.applicant.name, request.applicant.id_number, request.applicant.phone),
            [files.from_proto(m) for m in request.materials],
            request.home_division,
            mode=request.mode,
            place_division=request.place_division,
            extras=deferrals.extras(
                request.deferred,
                request.promised_on,
                request.promise if request.HasField("promise") else None,
                self._node.clock.now(),
            ),
            by=_caller.get(),
            channel=request.channel,
            submission=key,
        )

    @_desk_call
    def GetCase(self, request: desk_pb2.GetCaseRequest, context: grpc.ServicerContext) -> case_pb2.Case:
        return self._node.cases.get(request.case_id, by=_caller.get())

    @_desk_call
    def ListCases(
        self, request: desk_pb2.ListCasesRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListCasesResponse:
        state = None if request.state == case_pb2.CASE_STATE_UNSPECIFIED else state_from_proto(request.state)
        caller = _caller.get()
        department = caller.bound_department  # department staff: what they are shown
        return desk_pb2.ListCasesResponse(
            cases=self._node.cases.list_cases(
                state, request.role, request.limit, department, taker=caller.on_record
            )
        )

    @_desk_call
    def ActOnCase(self, request: desk_pb2.ActOnCaseRequest, context: grpc.ServicerContext) -> case_pb2.Case:
        if request.action == case_pb2.CASE_ACTION_UNSPECIFIED:
            raise InvalidInput("an action is required (ACCEPT, REVIEW, APPROVE, …)")
        action = action_from_proto(request.action)
        # a unique beginning of the id will do, among the cases the caller is shown (as on the pages)
        case_id = self._node.cases.get(request.case_id, by=_caller.get()).id
        materials = [files.from_proto(m) for m in request.materials]
        correct = list(request.correct_materials)
        return self._node.cases.act(
            case_id, action, request.note, request.days, _caller.get(), materials, correct
        )

    @_desk_call
    def ListItems(
        self, request: desk_pb2.ListItemsRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListItemsResponse:
        with self._node.readers() as session:
            claims = implementation.claims(session)
            return desk_pb2.ListItemsResponse(
                catalog_version=catalog.current_version(session),
                items=[item_to_proto(item, claims.get(item.code)) for item in catalog.items(session)],
            )

    @_desk_call
    def DescribeNode(
        self, request: desk_pb2.DescribeNodeRequest, context: grpc.ServicerContext
    ) -> desk_pb2.NodeDescription:
        return self._node.describe()

    @_desk_call
    def NameOffices(
        self, request: desk_pb2.NameOfficesRequest, context: grpc.ServicerContext
    ) -> desk_pb2.OfficeNames:
        if len(request.codes) > 1_000:
            raise InvalidInput(f"at most 1,000 codes at once, not {len(request.codes)}")
        names = self._node.names
        named = {code: names.office(code) for code in set(request.codes)}
        return desk_pb2.OfficeNames(names={code: name for code, name in named.items() if name})

    @_desk_call
    def CreateInvite(
        self, request: desk_pb2.CreateInviteRequest, context: grpc.ServicerContext
    ) -> desk_pb2.Invite:
        require_admin(_caller.get())
        return self._node.invite(request.code, request.valid_hours)

    @_desk_call
    def RevokeCertificate(
        self, request: desk_pb2.RevokeCertificateRequest, context: grpc.ServicerContext
    ) -> desk_pb2.RevokeCertificateResponse:
        require_admin(_caller.get())
        revoked, number = self._node.revoke(request.target)
        return desk_pb2.RevokeCertificateResponse(revoked=revoked, crl_number=number)

    # -- partner provinces (跨省通办) ----------------------------------------------------------------

    @_desk_call
    def AddPeer(self, request: desk_pb2.AddPeerRequest, context: grpc.ServicerContext) -> desk_pb2.PeerView:
        require_admin(_caller.get())
        summary = self._node.add_peer(request.province, request.root_pem, request.address, request.name)
        return self._peer_view(summary)

    @_desk_call
    def RemovePeer(
        self, request: desk_pb2.RemovePeerRequest, context: grpc.ServicerContext
    ) -> desk_pb2.PeerView:
        require_admin(_caller.get())
        view = self._peer_view(self._node.remove_peer(request.province))
        view.removed = True
        return view

    @_desk_call
    def ListPeers(
        self, request: desk_pb2.ListPeersRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListPeersResponse:
        with self._node.readers() as session:
            summaries = self._node.partners.peers(session)
        return desk_pb2.ListPeersResponse(peers=[self._peer_view(summary) for summary in summaries])

    @_desk_call
    def ListPartnerItems(
        self, request: desk_pb2.ListPartnerItemsRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListPartnerItemsResponse:
        with self._node.readers() as session:
            rows = partners.partner_items(session, request.province.strip())
            return desk_pb2.ListPartnerItemsResponse(
                items=[
                    desk_pb2.PartnerItem(
                        province=row.province,
                        code=row.code,
                        name=row.name,
                        handling_tier=row.handling_tier,
                        department=row.department,
                        modes=row.modes,
                    )
                    for row in rows
                ]
            )

    def _peer_view(self, summary: partners.PeerSummary) -> desk_pb2.PeerView:
        status = partners.peer_link_status(self._node.links.find(summary.province))
        view = desk_pb2.PeerView(
            province=summary.province,
            name=summary.name,
            address=summary.address,
            root_fingerprint=summary.root_fingerprint,
            connected=status.connected,
            items_offered=summary.items_offered,
            items_accepted=summary.items_accepted,
            waiting=status.waiting,
        )
        if status.since is not None:
            view.since.CopyFrom(to_timestamp(status.since))
        if status.last_contact is not None:
            view.last_contact.CopyFrom(to_timestamp(status.last_contact))
        return view

    @_desk_call
    def CreateSeal(
        self, request: desk_pb2.CreateSealRequest, context: grpc.ServicerContext
    ) -> desk_pb2.SealDescription:
        require_admin(_caller.get())
        try:
            named = {"sm2": Algorithm.SM2_SM3.value}.get(request.algorithm, request.algorithm)
            algorithm = Algorithm(named) if named else None  # none named: the province's choice
        except ValueError:
            raise InvalidInput(
                f"unknown algorithm {request.algorithm!r}; one of {', '.join(a.value for a in Algorithm)}"
            ) from None
        with self._node.sessions.begin() as session:
            info = self._node.seals.create(
                session,
                request.holder,
                request.department,
                request.kind or "公章",
                valid_days=request.valid_days or 3 * 365,
                picture=request.picture,
                algorithm=algorithm,
            )
        return desk_pb2.SealDescription(
            seal_id=info.seal_id,
            holder=info.holder,
            holder_code=info.holder_code,
            department=info.department,
            kind=info.kind,
            valid_from=info.valid_from.isoformat(timespec="seconds"),
            valid_to=info.valid_to.isoformat(timespec="seconds"),
            algorithm=(algorithm or self._node.seals.default_algorithm).value,
        )

    @_desk_call
    def RevokeLicence(
        self, request: desk_pb2.RevokeLicenceRequest, context: grpc.ServicerContext
    ) -> desk_pb2.LicenceStatus:
        require_admin(_caller.get())
        with self._node.sessions.begin() as session:
            return self._node.licences.revoke(session, request.identifier, request.reason)

    @_desk_call
    def CheckLicence(
        self, request: desk_pb2.CheckLicenceRequest, context: grpc.ServicerContext
    ) -> desk_pb2.LicenceStatus:
        with self._node.readers() as session:
            return self._node.licences.status(session, request.identifier)

    @_desk_call
    def PublishCatalog(
        self, request: desk_pb2.PublishCatalogRequest, context: grpc.ServicerContext
    ) -> desk_pb2.PublishCatalogResponse:
        require_admin(_caller.get())
        return self._node.catalog.publish(catalog.parse_document(request.document))

    @_desk_call
    def PublishCalendar(
        self, request: desk_pb2.PublishCalendarRequest, context: grpc.ServicerContext
    ) -> desk_pb2.PublishCalendarResponse:
        require_admin(_caller.get())
        return self._node.publish_calendar(request.document)

    @_desk_call
    def GetCalendar(
        self, request: desk_pb2.GetCalendarRequest, context: grpc.ServicerContext
    ) -> desk_pb2.CalendarView:
        year = request.year or china_date(self._node.clock.now()).year
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidInput(f"年份须在 {FIRST_YEAR}–{LAST_YEAR} 之间 (year {year} is out of range)")
        summary = year_summary(year)
        return desk_pb2.CalendarView(
            year=summary.year,
            source=summary.source,
            days_off=[day.isoformat() for day in summary.days_off],
            worked_weekends=[day.isoformat() for day in summary.worked_weekends],
            working_days=summary.working_days,
        )

    @_desk_call
    def VerifyCatalog(
        self, request: desk_pb2.VerifyCatalogRequest, context: grpc.ServicerContext
    ) -> desk_pb2.CatalogVerification:
        return self._node.catalog.verify()

    @_desk_call
    def DiffCatalog(
        self, request: desk_pb2.DiffCatalogRequest, context: grpc.ServicerContext
    ) -> desk_pb2.CatalogDiff:
        return self._node.catalog.diff(request.from_version, request.to_version)

    @_desk_call
    def ClaimItem(
        self, request: desk_pb2.ClaimItemRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ItemClaim:
        require_admin(_caller.get())
        return self._node.catalog.claim(request.item_code, dict(request.fields))

    @_desk_call
    def RateCase(
        self, request: desk_pb2.RateCaseRequest, context: grpc.ServicerContext
    ) -> desk_pb2.RatingView:
        _caller.get().require(Duty.ON_BEHALF)
        asked = request.case_id.strip()
        if self._node.bundles.bundle_of(asked) == asked:  # a 一件事's number: its one rating (一事一评)
            return self._node.ratings.rate_bundle(asked, request.score, request.comment)
        return self._node.ratings.rate(asked, request.score, request.comment)

    @_desk_call
    def RectifyCase(
        self, request: desk_pb2.RectifyCaseRequest, context: grpc.ServicerContext
    ) -> desk_pb2.RectificationView:
        return self._node.ratings.rectify(request.case_id, request.return_visit, _caller.get())

    @_desk_call
    def ListCards(
        self, request: desk_pb2.ListCardsRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListCardsResponse:
        # who may see them at /supervision: the subtree's cards name every department's staff
        _caller.get().require_one_of(frozenset({Duty.SUPERVISE}), "黄牌、红牌（电子监察）")
        cards = self._node.supervision.cards(
            request.subtree,
            include_closed=request.include_closed,
            raised=parse_period(request.raised_from, request.raised_to),
            colour=request.colour,
            department=request.department,
        )
        return desk_pb2.ListCardsResponse(cards=cards)

    @_desk_call
    def GetStats(self, request: desk_pb2.StatsRequest, context: grpc.ServicerContext) -> desk_pb2.StatsReport:
        _caller.get().require_one_of(frozenset({Duty.SUPERVISE}), "统计")  # as /stats
        return self._node.stats.report(request.from_day, request.to_day)

    @_desk_call
    def AppealRating(
        self, request: desk_pb2.AppealRatingRequest, context: grpc.ServicerContext
    ) -> desk_pb2.AppealView:
        return self._node.ratings.appeal(request.case_id, request.reason, _caller.get())

    @_desk_call
    def DecideAppeal(
        self, request: desk_pb2.DecideAppealRequest, context: grpc.ServicerContext
    ) -> desk_pb2.AppealView:
        return self._node.ratings.decide(request.case_id, request.void, request.note, _caller.get())

    @_desk_call
    def ListAppeals(
        self, request: desk_pb2.ListAppealsRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListAppealsResponse:
        caller = _caller.get()
        # 监察 decide them and see them all; a department's staff file them and follow their own
        caller.require_one_of(frozenset({Duty.SUPERVISE, Duty.RECTIFY}), "申诉复核")
        return desk_pb2.ListAppealsResponse(appeals=self._node.ratings.appeals(caller.bound_department))

    @_desk_call
    def SubmitBundle(
        self, request: desk_pb2.SubmitBundleRequest, context: grpc.ServicerContext
    ) -> case_pb2.Bundle:
        _caller.get().require(Duty.APPLY)
        key = submissions.checked_key(request.submission_key)

        def taken_in_before(earlier: submissions.TakenIn) -> case_pb2.Bundle:
            if not earlier.bundle_id:  # the key took in a single case
                raise submissions.KeyUsedBefore(key, earlier)
            return self._node.bundles.get(earlier.bundle_id)

        def take_in() -> case_pb2.Bundle:
            return self._node.bundles.submit(
                request.bundle_code,
                Applicant(request.applicant.name, request.applicant.id_number, request.applicant.phone),
                [files.from_proto(m) for m in request.materials],
                request.home_division,
                list(request.deferred),
                request.promised_on,
                request.promise if request.HasField("promise") else None,
                key,
                by=_caller.get(),
            )

        sent = submissions.Sent(request.bundle_code, request.applicant.id_number)
        return submissions.once(self._node.readers, key, sent, take_in, taken_in_before)

    @_desk_call
    def GetBundle(self, request: desk_pb2.GetBundleRequest, context: grpc.ServicerContext) -> case_pb2.Bundle:
        return self._node.bundles.get(request.bundle_id)

    @_desk_call
    def SupplyMaterial(
        self, request: desk_pb2.SupplyMaterialRequest, context: grpc.ServicerContext
    ) -> case_pb2.Case:
        _caller.get().require(Duty.ON_BEHALF)
        material = files.from_proto(request.material)
        bundle_id = self._node.bundles.bundle_of(request.case_id)
        if bundle_id is not None:  # 一次提交: every part missing it receives it, those to come too
            self._node.bundles.supply(bundle_id, material)
            if bundle_id == request.case_id.strip():
                return case_pb2.Case(bundle_id=bundle_id)
        else:
            self._node.deferrals.supply(request.case_id, material)
        return self._node.cases.get(request.case_id, by=_caller.get())

    @_desk_call
    def ListPostChecks(
        self, request: desk_pb2.ListPostChecksRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListPostChecksResponse:
        checks = self._node.deferrals.post_checks(request.include_done, _caller.get().bound_department)
        return desk_pb2.ListPostChecksResponse(checks=checks)

    @_desk_call
    def CompletePostCheck(
        self, request: desk_pb2.CompletePostCheckRequest, context: grpc.ServicerContext
    ) -> case_pb2.PostCheck:
        return self._node.deferrals.complete_post_check(
            request.case_id, request.passed, request.finding, _caller.get()
        )

    # -- staff (工作人员) -------------------------------------------------------------------------

    @_desk_call
    def Login(self, request: desk_pb2.LoginRequest, context: grpc.ServicerContext) -> desk_pb2.LoginReply:
        login = self._node.staff.login(request.username, request.password, source=_source(context))
        return desk_pb2.LoginReply(
            token=login.token, expires_at=to_timestamp(login.expires_at), staff=self._staff(login.staff)
        )

    @_desk_call
    def Logout(self, request: desk_pb2.LogoutRequest, context: grpc.ServicerContext) -> desk_pb2.LogoutReply:
        token = cast(str, dict(context.invocation_metadata()).get(TOKEN_METADATA, ""))  # not "-bin": str
        if token:
            self._node.staff.logout(token)
        return desk_pb2.LogoutReply()

    @_desk_call
    def WhoAmI(self, request: desk_pb2.WhoAmIRequest, context: grpc.ServicerContext) -> desk_pb2.StaffMember:
        actor = _caller.get()
        if not actor.is_person:
            return desk_pb2.StaffMember(name="节点运维 (operator)", node=self._node.here.value)
        return desk_pb2.StaffMember(
            username=actor.username,
            name=actor.name,
            role=actor.role.value if actor.role else "",
            role_label=actor.role.label if actor.role else "",
            department=actor.department,
            active=True,
            node=self._node.here.value,
        )

    @_desk_call
    def AddStaff(
        self, request: desk_pb2.AddStaffRequest, context: grpc.ServicerContext
    ) -> desk_pb2.StaffMember:
        actor = _caller.get()
        require_admin(actor)
        staff = self._node.staff
        return self._staff(
            staff.add(
                request.username, request.name, request.role, request.department, request.password, by=actor
            )
        )

    @_desk_call
    def ListStaff(
        self, request: desk_pb2.ListStaffRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListStaffResponse:
        require_admin(_caller.get())
        return desk_pb2.ListStaffResponse(staff=[self._staff(s) for s in self._node.staff.list()])

    @_desk_call
    def DisableStaff(
        self, request: desk_pb2.DisableStaffRequest, context: grpc.ServicerContext
    ) -> desk_pb2.StaffMember:
        actor = _caller.get()
        require_admin(actor)
        return self._staff(self._node.staff.disable(request.username, by=actor))

    @_desk_call
    def EnableStaff(
        self, request: desk_pb2.EnableStaffRequest, context: grpc.ServicerContext
    ) -> desk_pb2.StaffMember:
        actor = _caller.get()
        require_admin(actor)
        return self._staff(self._node.staff.enable(request.username, by=actor))

    @_desk_call
    def ChangeStaff(
        self, request: desk_pb2.ChangeStaffRequest, context: grpc.ServicerContext
    ) -> desk_pb2.StaffMember:
        actor = _caller.get()
        require_admin(actor)
        department = request.department if request.HasField("department") else None
        return self._staff(self._node.staff.change(request.username, request.role, department, by=actor))

    @_desk_call
    def SetStaffPassword(
        self, request: desk_pb2.SetStaffPasswordRequest, context: grpc.ServicerContext
    ) -> desk_pb2.StaffMember:
        actor = _caller.get()
        staff = self._node.staff
        if actor.is_person and actor.username == request.username.strip().lower():
            # one's own, given the current one: a login token alone does not take the account
            return self._staff(
                staff.change_own_password(actor.username, request.current_password, request.password)
            )
        require_admin(actor)  # an admin's reset (or the node's operator)
        return self._staff(staff.set_password(request.username, request.password, by=actor))

    # -- the window's day ---------------------------------------------------------------------

    @_desk_call
    def ListQueue(
        self, request: desk_pb2.ListQueueRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListCasesResponse:
        caller = _caller.get()
        department = request.department or caller.department
        caller.require_sight(self._node.here.value, self._node.here.value, department)  # not another's
        cases = self._node.cases.queue(request.queue, department, request.limit, request.offset)
        accept_by = self._node.supervision.acceptance_due(case.id for case in cases)  # 待受理: its own limit
        for case in cases:
            if case.id in accept_by:
                case.accept_by = accept_by[case.id].isoformat()
        return desk_pb2.ListCasesResponse(cases=cases)

    @_desk_call
    def SearchCases(
        self, request: desk_pb2.SearchCasesRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListCasesResponse:
        caller = _caller.get()
        found = self._node.cases.search(
            request.query, request.limit, caller.bound_department, caller.on_record
        )
        return desk_pb2.ListCasesResponse(cases=found)

    @_desk_call
    def GetMaterial(
        self, request: desk_pb2.GetMaterialRequest, context: grpc.ServicerContext
    ) -> case_pb2.Material:
        return self._node.cases.material(request.case_id, request.material_id, by=_caller.get())

    @_desk_call
    def ListReturnVisits(
        self, request: desk_pb2.ListReturnVisitsRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListReturnVisitsResponse:
        department = _caller.get().bound_department  # department staff: what they are shown
        visits = self._node.visits.list(request.include_done, department)
        return desk_pb2.ListReturnVisitsResponse(visits=visits)

    @_desk_call
    def RecordReturnVisit(
        self, request: desk_pb2.RecordReturnVisitRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ReturnVisit:
        return self._node.visits.record(request.case_id, request.outcome, request.note, _caller.get())

    @_desk_call
    def ListRectifications(
        self, request: desk_pb2.ListRectificationsRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListRectificationsResponse:
        caller = _caller.get()
        department = request.department or caller.department
        caller.require_sight(self._node.here.value, self._node.here.value, department)  # not another's
        return desk_pb2.ListRectificationsResponse(
            tasks=self._node.ratings.tasks(request.include_done, department)
        )

    @_desk_call
    def RenderDocument(
        self, request: desk_pb2.RenderDocumentRequest, context: grpc.ServicerContext
    ) -> desk_pb2.RenderedDocument:
        # anyone at this node may print what they are shown: _desk_call has refused strangers and
        # stale logins already, the document desk refuses another department's case
        rendered = self._documents.render(
            request.kind, request.item_code, request.case_id, _caller.get(), request.event_version
        )
        return desk_pb2.RenderedDocument(
            kind=rendered.kind,
            title=rendered.title,
            pdf=rendered.pdf,
            file_name=rendered.file_name,
            verify_url=rendered.verify_url,
        )

    def _staff(self, view: StaffView) -> desk_pb2.StaffMember:
        member = desk_pb2.StaffMember(
            username=view.username,
            name=view.name,
            role=view.role.value,
            role_label=view.role.label,
            department=view.department,
            active=view.active,
            node=self._node.here.value,
        )
        if view.locked_until is not None:
            member.locked_until.CopyFrom(to_timestamp(view.locked_until))
        return member
