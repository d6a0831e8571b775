"""The Desk gRPC service: thin, it reads like desk.proto and hands work to node/ services.

Domain errors become gRPC statuses here and nowhere else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import grpc
from sqlalchemy.orm import Session, sessionmaker

from node import catalog
from node.cases import Applicant, CaseService, Material
from node.convert import action_from_proto, item_to_proto, state_from_proto
from node.errors import DomainError, IllegalTransition, InvalidInput, NotFound, NotReady, WrongNode
from wuji.v1 import case_pb2, desk_pb2, desk_pb2_grpc

STATUS_OF: dict[type[DomainError], grpc.StatusCode] = {
    NotFound: grpc.StatusCode.NOT_FOUND,
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    IllegalTransition: grpc.StatusCode.FAILED_PRECONDITION,
    WrongNode: grpc.StatusCode.FAILED_PRECONDITION,
    NotReady: grpc.StatusCode.UNAVAILABLE,
}

Request = TypeVar("Request")
Reply = TypeVar("Reply")


def _answers_domain_errors(
    method: Callable[[DeskServicer, Request, grpc.ServicerContext], Reply],
) -> Callable[[DeskServicer, Request, grpc.ServicerContext], Reply]:
    @functools.wraps(method)
    def wrapper(self: DeskServicer, request: Request, context: grpc.ServicerContext) -> Reply:
        try:
            return method(self, request, context)
        except DomainError as error:
            context.abort(STATUS_OF.get(type(error), grpc.StatusCode.FAILED_PRECONDITION), str(error))
        except ValueError as error:  # malformed codes and names from the wire
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))

    return wrapper


class DeskServicer(desk_pb2_grpc.DeskServicer):
    def __init__(
        self,
        cases: CaseService,
        sessions: sessionmaker[Session],
        describe: Callable[[], desk_pb2.NodeDescription],
    ) -> None:
        self._cases = cases
        self._sessions = sessions
        self._describe = describe

    @_answers_domain_errors
    def SubmitCase(self, request: desk_pb2.SubmitCaseRequest, context: grpc.ServicerContext) -> case_pb2.Case:
        return self._cases.submit(
            request.item_code,
            Applicant(request.applicant.name, request.applicant.id_number, request.applicant.phone),
            [Material(m.name, m.content, m.sha256) for m in request.materials],
            request.home_division,
        )

    @_answers_domain_errors
    def GetCase(self, request: desk_pb2.GetCaseRequest, context: grpc.ServicerContext) -> case_pb2.Case:
        return self._cases.get(request.case_id)

    @_answers_domain_errors
    def ListCases(
        self, request: desk_pb2.ListCasesRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListCasesResponse:
        state = None if request.state == case_pb2.CASE_STATE_UNSPECIFIED else state_from_proto(request.state)
        return desk_pb2.ListCasesResponse(cases=self._cases.list(state, request.role, request.limit))

    @_answers_domain_errors
    def ActOnCase(self, request: desk_pb2.ActOnCaseRequest, context: grpc.ServicerContext) -> case_pb2.Case:
        if request.action == case_pb2.CASE_ACTION_UNSPECIFIED:
            raise InvalidInput("an action is required (ACCEPT, REVIEW, APPROVE, …)")
        return self._cases.act(request.case_id, action_from_proto(request.action), request.note)

    @_answers_domain_errors
    def ListItems(
        self, request: desk_pb2.ListItemsRequest, context: grpc.ServicerContext
    ) -> desk_pb2.ListItemsResponse:
        with self._sessions() as session:
            return desk_pb2.ListItemsResponse(
                catalog_version=catalog.current_version(session),
                items=[item_to_proto(item) for item in catalog.items(session)],
            )

    @_answers_domain_errors
    def DescribeNode(
        self, request: desk_pb2.DescribeNodeRequest, context: grpc.ServicerContext
    ) -> desk_pb2.NodeDescription:
        return self._describe()
