// The built-in `sys` package, written in VSQL and compiled together with every app. It is a TS
// string (not a .vsql file read from disk) so the compiler runs unchanged in a browser.
//
// What VSQL cannot say is added by the analyser (see analyser-tables.ts): the system fields
// (`sys.ID`, `sys.IsActive`, `sys.ParentID`, `sys.Container`, `sys.QName`) have dotted names no
// field declaration can spell, so the root tables below are declared empty and the analyser gives
// every table the system fields of its kind.

export const SYS_PACKAGE_PATH = 'stoa/sys';

export const SYS_VSQL = `-- Built-in package sys: root tables, system workspaces, roles, storages and builtin functions.

EXTENSION ENGINE BUILTIN (
    STORAGE Record(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        GETBATCH SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        INSERT SCOPE(COMMANDS),
        UPDATE SCOPE(COMMANDS)
    ) ENTITY RECORD;
    STORAGE View(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        GETBATCH SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        READ SCOPE(QUERIES, PROJECTORS, JOBS),
        INSERT SCOPE(PROJECTORS, JOBS),
        UPDATE SCOPE(PROJECTORS, JOBS)
    ) ENTITY VIEW;
    STORAGE Uniq(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS)
    ) ENTITY RECORD;
    STORAGE WLog(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS),
        READ SCOPE(QUERIES, PROJECTORS, JOBS)
    );
    STORAGE AppSecret(
        GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS)
    );
    STORAGE RequestSubject(
        GET SCOPE(COMMANDS, QUERIES)
    );
    STORAGE Http(
        READ SCOPE(QUERIES, PROJECTORS, JOBS)
    );
    STORAGE FederationCommand(
        GET SCOPE(QUERIES, PROJECTORS, JOBS)
    );
    STORAGE FederationBlob(
        READ SCOPE(QUERIES, PROJECTORS, JOBS)
    );
    STORAGE SendMail(
        GET SCOPE(PROJECTORS, JOBS),
        INSERT SCOPE(PROJECTORS, JOBS)
    );
    STORAGE Result(
        INSERT SCOPE(COMMANDS, QUERIES)
    );
    STORAGE Response(
        INSERT SCOPE(COMMANDS, QUERIES)
    );
    STORAGE Event(
        GET SCOPE(PROJECTORS)
    );
    STORAGE CommandContext(
        GET SCOPE(COMMANDS)
    );
    STORAGE QueryContext(
        GET SCOPE(QUERIES)
    );
    STORAGE JobContext(
        GET SCOPE(JOBS)
    );
    STORAGE Logger(
        INSERT SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS)
    );
);

-- The root of every workspace: every other workspace inherits it implicitly.
ABSTRACT WORKSPACE Workspace (
    -- Roots of the table kinds; the analyser adds the system fields of each kind.
    ABSTRACT TABLE CRecord ();
    ABSTRACT TABLE WRecord ();
    ABSTRACT TABLE ORecord ();
    ABSTRACT TABLE CDoc ();
    ABSTRACT TABLE WDoc ();
    ABSTRACT TABLE ODoc ();
    ABSTRACT TABLE CSingleton INHERITS CDoc ();
    ABSTRACT TABLE WSingleton INHERITS WDoc ();

    -- Common fields of every workspace descriptor (the kind-specific fields come from DESCRIPTOR).
    ABSTRACT TABLE WorkspaceDescriptor INHERITS CSingleton (
        OwnerWSID int64,
        OwnerLogin varchar(256),
        WSName varchar(255),
        WSKind qname,
        CreatedAt timestamp,
        Status int32
    );

    -- A member of the workspace: a login with its roles (comma-separated role QNames).
    TABLE Subject INHERITS CDoc (
        Login varchar(256) NOT NULL,
        SubjectKind int32 NOT NULL,
        Roles varchar(1024) NOT NULL,
        ProfileWSID int64,
        UNIQUE (Login)
    );

    -- An invitation of a login to join the workspace with roles (comma-separated role QNames).
    -- State: 1 created, 2 accepted, 3 declined, 4 cancelled (engine core/membership).
    TABLE Invite INHERITS CDoc (
        Login varchar(256) NOT NULL,
        Email varchar(256),
        Roles varchar(1024) NOT NULL,
        State int32 NOT NULL,
        InvitedBy varchar(256),
        CreatedAt timestamp,
        UpdatedAt timestamp,
        ExpireAt timestamp,
        SubjectID ref(Subject)
    );

    -- An app API token bound to this workspace: its subject (TokenID), name, roles and expiry.
    -- The token value is never stored; a deactivated record is a revoked token.
    TABLE ApiToken INHERITS CDoc (
        TokenID varchar(64) NOT NULL,
        Jti varchar(64) NOT NULL,
        Name varchar(255) NOT NULL,
        Roles varchar(1024) NOT NULL,
        ExpiresAt timestamp NOT NULL,
        CreatedBy varchar(256),
        CreatedAt timestamp,
        UNIQUE (TokenID)
    );

    -- A workspace created inside this one (USE WORKSPACE).
    TABLE ChildWorkspace INHERITS CDoc (
        WSName varchar(255) NOT NULL,
        WSKind qname NOT NULL,
        WSID int64,
        WSError varchar(1024),
        UNIQUE (WSName)
    );

    -- A stored binary object; blob fields are references to it.
    TABLE BLOB INHERITS WDoc (
        Status int32 NOT NULL,
        Name varchar(255),
        MimeType varchar(255),
        Size int64
    );

    ROLE Everyone;
    ROLE Anonymous;
    ROLE AuthenticatedUser;
    ROLE System;
    ROLE ProfileOwner;
    ROLE WorkspaceDevice;
    ROLE WorkspaceOwner;
    ROLE WorkspaceAdmin;
    ROLE ClusterAdmin;
    ROLE BLOBUploader;

    EXTENSION ENGINE BUILTIN (
        -- Raw create/update of records; each CUD is checked against the ACL of its table.
        COMMAND CUD();
        -- The first event of every workspace (creates the descriptor).
        COMMAND Init();
    );

    -- Membership and API tokens: the engine core builds these events itself (REST routes
    -- /invites, /members, /api-tokens); declared so projectors can follow them. No GRANT: calling
    -- them through /commands is refused.
    EXTENSION ENGINE BUILTIN (
        COMMAND InitiateInvitation();
        COMMAND CancelInvitation();
        COMMAND AcceptInvitation();
        COMMAND DeclineInvitation();
        COMMAND UpdateMemberRoles();
        COMMAND RemoveMember();
        COMMAND LeaveWorkspace();
        COMMAND CreateApiToken();
        COMMAND RevokeApiToken();
    );

    GRANT Everyone TO Anonymous;
    GRANT Everyone TO AuthenticatedUser;
    GRANT WorkspaceOwner TO ProfileOwner;
    GRANT WorkspaceOwner TO WorkspaceDevice;
    GRANT BLOBUploader TO WorkspaceOwner;
    GRANT EXECUTE ON COMMAND CUD TO AuthenticatedUser;
);

-- App workspaces: one per partition; logins, WSID allocation and jobs live here.
ALTERABLE WORKSPACE AppWorkspaceWS (
    DESCRIPTOR AppWorkspace (
        PartitionCount int32
    );

    -- A login of the app (SubjectKind 1 = user, 2 = device), placed in the app workspace chosen by
    -- a hash of the login. PasswordHash is \`scrypt$N$r$p$salt$hash\` (base64url salt and hash).
    -- Deactivated logins keep their name: memberships (sys.Subject) refer to logins by name.
    TABLE Login INHERITS CDoc (
        Login varchar(256) NOT NULL,
        SubjectKind int32 NOT NULL,
        PasswordHash varchar(512),
        ProfileWSID int64,
        DisplayName varchar(255),
        CreatedAt timestamp,
        UNIQUE (Login)
    );

    TYPE CreateLoginParams (
        Login varchar(256) NOT NULL,
        SubjectKind int32 NOT NULL,
        DisplayName varchar(255),
        ProfileWSID int64 NOT NULL
    );
    -- Unlogged: the hash never appears in an event's arguments.
    TYPE LoginPasswordParams (
        PasswordHash varchar(512) NOT NULL
    );
    TYPE LoginRefParams (
        LoginID ref(Login) NOT NULL
    );

    -- Identity commands: executed by the engine as sys.System (no grants, so nobody else may).
    EXTENSION ENGINE BUILTIN (
        COMMAND CreateLogin(CreateLoginParams, UNLOGGED LoginPasswordParams) INTENTS(sys.Record(Login));
        COMMAND ChangeLoginPassword(LoginRefParams, UNLOGGED LoginPasswordParams)
            STATE(sys.Record(Login)) INTENTS(sys.Record(Login));
        COMMAND DeactivateLogin(LoginRefParams) STATE(sys.Record(Login)) INTENTS(sys.Record(Login));
    );
);

ABSTRACT WORKSPACE ProfileWS (
    -- Common base of user and device profiles.
);

ALTERABLE WORKSPACE UserProfileWS INHERITS ProfileWS (
    DESCRIPTOR UserProfile (
        DisplayName varchar(255)
    );
);

ALTERABLE WORKSPACE DeviceProfileWS INHERITS ProfileWS (
    DESCRIPTOR DeviceProfile (
        DisplayName varchar(255)
    );
);
`;
