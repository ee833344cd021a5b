"""The fake Slack Web API put together: the HTTP server and every method family, and the table
that maps a method name to the code that answers it."""

from __future__ import annotations

from collections.abc import Callable

from fakes.slack.auth import AuthMethods
from fakes.slack.chat import ChatMethods
from fakes.slack.conversations import ConversationMethods
from fakes.slack.files import FileMethods
from fakes.slack.openid import OpenIdMethods
from fakes.slack.params import _decode_json_fields
from fakes.slack.records import JSONDict, _Ctx
from fakes.slack.server import HttpServing
from fakes.slack.users import UserMethods
from fakes.slack.views import ViewMethods


class FakeSlackAPI(
    OpenIdMethods,
    HttpServing,
    AuthMethods,
    ChatMethods,
    ConversationMethods,
    UserMethods,
    ViewMethods,
    FileMethods,
):
    """An in-process Slack Web API on ``http://127.0.0.1:<port>/api/``.

    >>> with FakeSlackAPI() as slack:
    ...     client = WebClient(base_url=slack.url, token="xoxb-test")
    ...     client.chat_postMessage(channel="C1", text="hej")
    ...     slack.wait_for("chat.postMessage", 1)
    """

    def _handlers(self) -> dict[str, Callable[[_Ctx], JSONDict]]:
        return {
            "api.test": lambda ctx: {"args": _decode_json_fields(ctx.params)},
            "auth.test": self._auth_test,
            "auth.revoke": self._auth_revoke,
            "apps.uninstall": self._apps_uninstall,
            "oauth.v2.access": self._oauth_v2_access,
            "team.info": self._team_info,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "users.info": self._users_info,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "views.open": lambda ctx: self._views_create(ctx, "views.open"),
            "views.push": lambda ctx: self._views_create(ctx, "views.push"),
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.upload": self._files_upload,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "openid.connect.token": self._openid_connect_token,
            "openid.connect.userInfo": self._openid_connect_userinfo,
        }
