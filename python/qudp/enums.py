"""Qt's enums with Qt's numeric values.

Like PySide6 they are plain ``enum.Enum`` / ``enum.Flag`` classes (not int
subclasses): compare members with members, use ``.value`` for the number.
qudp's own methods also accept plain ints where Qt takes an enum.
"""

from __future__ import annotations

from enum import Enum, Flag


def _nest(cls: type, owner: str) -> None:
    cls.__qualname__ = f"{owner}.{cls.__name__}"
    cls.__module__ = "qudp"


class SocketState(Enum):
    """QAbstractSocket.SocketState: where the socket is in its life (state(), stateChanged)."""

    UnconnectedState = 0
    HostLookupState = 1
    ConnectingState = 2
    ConnectedState = 3
    BoundState = 4
    ListeningState = 5
    ClosingState = 6


class SocketError(Enum):
    """QAbstractSocket.SocketError: what error() reports and errorOccurred carries."""

    ConnectionRefusedError = 0
    RemoteHostClosedError = 1
    HostNotFoundError = 2
    SocketAccessError = 3
    SocketResourceError = 4
    SocketTimeoutError = 5
    DatagramTooLargeError = 6
    NetworkError = 7
    AddressInUseError = 8
    SocketAddressNotAvailableError = 9
    UnsupportedSocketOperationError = 10
    UnfinishedSocketOperationError = 11
    ProxyAuthenticationRequiredError = 12
    SslHandshakeFailedError = 13
    ProxyConnectionRefusedError = 14
    ProxyConnectionClosedError = 15
    ProxyConnectionTimeoutError = 16
    ProxyNotFoundError = 17
    ProxyProtocolError = 18
    OperationError = 19
    SslInternalError = 20
    SslInvalidUserDataError = 21
    TemporaryError = 22
    UnknownSocketError = -1


class SocketOption(Enum):
    """QAbstractSocket.SocketOption: options for setSocketOption()/socketOption()."""

    LowDelayOption = 0
    KeepAliveOption = 1
    MulticastTtlOption = 2
    MulticastLoopbackOption = 3
    TypeOfServiceOption = 4
    SendBufferSizeSocketOption = 5
    ReceiveBufferSizeSocketOption = 6
    PathMtuSocketOption = 7
    KeepAliveIdleOption = 8
    KeepAliveIntervalOption = 9
    KeepAliveCountOption = 10


class BindFlag(Flag):
    """QAbstractSocket.BindFlag (BindMode): how bind() shares the address (mapped to SO_REUSEADDR /
    SO_REUSEPORT / SO_EXCLUSIVEADDRUSE as Qt maps them).
    """

    DefaultForPlatform = 0x0
    ShareAddress = 0x1
    DontShareAddress = 0x2
    ReuseAddressHint = 0x4
    # qudp only, far above Qt's bits so it can never mean a Qt flag: join a
    # kernel load-balancing group on the port (SO_REUSEPORT on Linux,
    # SO_REUSEPORT_LB on FreeBSD; refused where the kernel cannot spread
    # datagrams). Named for what it does, since SO_REUSEPORT means plain
    # sharing on macOS. See docs/allcores.md.
    LoadBalance = 0x100


class NetworkLayerProtocol(Enum):
    """QAbstractSocket.NetworkLayerProtocol: IPv4, IPv6, or both (AnyIPProtocol, a dual-stack
    socket).
    """

    IPv4Protocol = 0
    IPv6Protocol = 1
    AnyIPProtocol = 2
    UnknownNetworkLayerProtocol = -1


class SocketType(Enum):
    """QAbstractSocket.SocketType: qudp implements UdpSocket."""

    TcpSocket = 0
    UdpSocket = 1
    SctpSocket = 2
    UnknownSocketType = -1


class PauseMode(Flag):
    """QAbstractSocket.PauseMode (PauseModes): Qt's pause modes; UDP never pauses."""

    PauseNever = 0x0
    PauseOnSslErrors = 0x1


class OpenModeFlag(Flag):
    """QIODevice.OpenModeFlag (OpenMode): how the QIODevice side is open (connectToHost opens
    ReadWrite).
    """

    NotOpen = 0x0
    ReadOnly = 0x1
    WriteOnly = 0x2
    ReadWrite = 0x3
    Append = 0x4
    Truncate = 0x8
    Text = 0x10
    Unbuffered = 0x20
    NewOnly = 0x40
    ExistingOnly = 0x80


class SpecialAddress(Enum):
    """QHostAddress.SpecialAddress: LocalHost, Broadcast, Any (dual-stack), AnyIPv4, ..."""

    Null = 0
    Broadcast = 1
    LocalHost = 2
    LocalHostIPv6 = 3
    Any = 4
    AnyIPv6 = 5
    AnyIPv4 = 6


class ConversionModeFlag(Flag):
    """QHostAddress.ConversionModeFlag (ConversionMode): how isEqual() compares IPv4 with IPv6
    forms.
    """

    StrictConversion = 0x0
    ConvertV4MappedToIPv4 = 0x1
    ConvertV4CompatToIPv4 = 0x2
    ConvertUnspecifiedAddress = 0x4
    ConvertLocalHost = 0x8
    TolerantConversion = 0xFF


class InterfaceFlag(Flag):
    """QNetworkInterface.InterfaceFlag (InterfaceFlags): IsUp, IsRunning, CanBroadcast, IsLoopBack,
    ...
    """

    IsUp = 0x1
    IsRunning = 0x2
    CanBroadcast = 0x4
    IsLoopBack = 0x8
    IsPointToPoint = 0x10
    CanMulticast = 0x20


class InterfaceType(Enum):
    """QNetworkInterface.InterfaceType: the link type (Ethernet, Loopback, Wifi, ...)."""

    Unknown = 0
    Loopback = 1
    Virtual = 2
    Ethernet = 3
    Slip = 4
    CanBus = 5
    Ppp = 6
    Fddi = 7
    Wifi = 8
    Ieee80211 = 8  # an alias of Wifi, as in Qt
    Phonet = 9
    Ieee802154 = 10
    SixLoWPAN = 11
    Ieee80216 = 12
    Ieee1394 = 13


class ProcessEventsFlag(Flag):
    """QEventLoop.ProcessEventsFlag (ProcessEventsFlags): flags for processEvents()."""

    AllEvents = 0x00
    ExcludeUserInputEvents = 0x01
    ExcludeSocketNotifiers = 0x02
    WaitForMoreEvents = 0x04
    X11ExcludeTimers = 0x08
    EventLoopExec = 0x20
    DialogExec = 0x40
    ApplicationExec = 0x80


_socket_enums: tuple[type[Enum], ...] = (
    SocketState,
    SocketError,
    SocketOption,
    BindFlag,
    NetworkLayerProtocol,
    SocketType,
    PauseMode,
    OpenModeFlag,
)
for _cls in _socket_enums:
    _nest(_cls, "QAbstractSocket")
for _cls in (SpecialAddress, ConversionModeFlag):
    _nest(_cls, "QHostAddress")
for _cls in (InterfaceFlag, InterfaceType):
    _nest(_cls, "QNetworkInterface")
_nest(ProcessEventsFlag, "QEventLoop")
del _cls, _socket_enums

# What Rust needs to build and recognise members (see src/enums.rs).
ALL: dict[str, type[Enum]] = {
    "SocketState": SocketState,
    "SocketError": SocketError,
    "SocketOption": SocketOption,
    "BindFlag": BindFlag,
    "NetworkLayerProtocol": NetworkLayerProtocol,
    "SocketType": SocketType,
    "PauseMode": PauseMode,
    "OpenModeFlag": OpenModeFlag,
    "SpecialAddress": SpecialAddress,
    "ConversionModeFlag": ConversionModeFlag,
    "InterfaceFlag": InterfaceFlag,
    "InterfaceType": InterfaceType,
    "ProcessEventsFlag": ProcessEventsFlag,
}
