variable "create" {
  description = "Create the whole pipeline; false creates nothing in any of its modules and every output is null (the inputs without a default are still asked for)."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name prefix of every resource; also the OpenSearch domain's and the Redshift cluster's name."
  type        = string
  default     = "sluice"

  validation {
    # The tightest of the names made from it: an OpenSearch domain (3..28 of a-z 0-9 -, a letter
    # first) and a Redshift cluster identifier (no "--", no trailing hyphen). Stage functions
    # (<name>-health-evaluator) then fit Lambda's 64 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{1,26}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 3..28 of a-z 0-9 -, beginning with a letter, ending with a letter or digit, without \"--\" (it names the OpenSearch domain and the Redshift cluster)."
  }
}

variable "images" {
  description = "Stage -> image URI pinned by digest (generated from images.lock.json: `make tf-images`)."
  type        = map(string)

  validation {
    condition     = alltrue([for stage in ["ingest", "processor", "indexer", "loader", "monitor"] : contains(keys(var.images), stage)])
    error_message = "images needs an entry for every stage: ingest, processor, indexer, loader, monitor (after `make push-images`, `make tf-images` writes them to terraform/envs/aws/images.auto.tfvars.json)."
  }
}

variable "lake_bucket_name" {
  description = "The lake bucket."
  type        = string
}

variable "glue_table" {
  description = "The lake's Glue table (terraform/generated/glue_table.json)."
  type = object({
    columns     = list(object({ name = string, type = string, comment = string }))
    event_types = list(string)
  })
}

variable "on_demand_streams" {
  description = "On-demand Kinesis capacity."
  type        = bool
  default     = true
}

variable "stream_retention_hours" {
  description = "Kinesis retention."
  type        = number
  default     = 48
}

variable "kpl_aggregation" {
  description = "Ingest packs many events per Kinesis record (KPL format)."
  type        = bool
  default     = true
}

variable "clean_kpl_aggregation" {
  description = "The processor packs the clean stream's events per shard into KPL-aggregated records (on-demand Kinesis bills each record as at least 1 KB); false writes one event per record."
  type        = bool
  default     = true
}

variable "health_window_seconds" {
  description = "The monitor's tumbling window: the health evaluation judges windows of this length."
  type        = number
  default     = 60
}

variable "evaluation_delay_seconds" {
  description = "How long a closed window waits for late shards before it is judged (raise it when the monitor's IteratorAge runs higher)."
  type        = number
  default     = 60

  validation {
    condition     = var.evaluation_delay_seconds >= 0 && var.evaluation_delay_seconds <= 900
    error_message = "evaluation_delay_seconds must be 0..900."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrency per stage."
  type        = map(number)
  default     = { ingest = 100, processor = 20, indexer = 10, loader = 5, monitor = 10 }
}

variable "create_warehouse_cluster" {
  description = "Create the Redshift cluster (false: the local stack's embedded PostgreSQL)."
  type        = bool
  default     = true
}

variable "warehouse_kind" {
  description = "With create_warehouse_cluster: provisioned (a Redshift cluster, warehouse_nodes x warehouse_node_type, billed every hour) or serverless (Redshift Serverless, warehouse_base_rpus, billed for the seconds it works). The loader reads the same endpoint, port, database and secret either way."
  type        = string
  default     = "provisioned"

  validation {
    condition     = contains(["provisioned", "serverless"], var.warehouse_kind)
    error_message = "warehouse_kind must be provisioned or serverless."
  }
}

variable "warehouse_node_type" {
  description = "With warehouse_kind = provisioned: the cluster's node type."
  type        = string
  default     = "ra3.xlplus"
}

variable "warehouse_nodes" {
  description = "With warehouse_kind = provisioned: the cluster's nodes."
  type        = number
  default     = 2
}

variable "warehouse_base_rpus" {
  description = "With warehouse_kind = serverless: the workgroup's base capacity in RPUs (4, or 8 to 1024 in steps of 8)."
  type        = number
  default     = 8
}

variable "warehouse_max_rpus" {
  description = "With warehouse_kind = serverless: the most RPUs it may scale to (null: no ceiling of Sluice's)."
  type        = number
  default     = null
}

variable "local_warehouse_url" {
  description = "Local stack only: the embedded PostgreSQL's URL for the loader."
  type        = string
  default     = null
}

variable "create_search" {
  description = "Create the OpenSearch domain."
  type        = bool
  default     = true
}

variable "search_instance_type" {
  description = "With create_search: the data node type."
  type        = string
  default     = "r6g.large.search"
}

variable "search_instance_count" {
  description = "With create_search: data nodes (more than one spreads over zones)."
  type        = number
  default     = 2
}

variable "search_volume_gb" {
  description = "With create_search: EBS storage per data node, GB (hot_retention x daily index bytes x (1 + replicas), spread over the nodes, with headroom)."
  type        = number
  default     = 100
}

variable "search_hot_retention_days" {
  description = "With create_search: days an event index stays on the data nodes, then UltraWarm (search_warm_retention_days > 0) or deletion. The lake keeps the history, so this is what is searched live; `sluice opensearch bootstrap --retention-days` installs it (the opensearch_index_lifecycle output)."
  type        = number
  default     = 30
}

variable "search_warm_enabled" {
  description = "With create_search: UltraWarm nodes for older indices (needs the dedicated masters the domain has)."
  type        = bool
  default     = false
}

variable "search_warm_type" {
  description = "With search_warm_enabled: ultrawarm1.medium.search or ultrawarm1.large.search."
  type        = string
  default     = "ultrawarm1.medium.search"
}

variable "search_warm_count" {
  description = "With search_warm_enabled: UltraWarm nodes (2 to 150)."
  type        = number
  default     = 2
}

variable "search_warm_retention_days" {
  description = "With search_warm_enabled: days an index stays in UltraWarm after its hot days, before deletion (0: none)."
  type        = number
  default     = 0
}

variable "opensearch_url" {
  description = "An existing cluster when create_search is false (null: the search leg is off)."
  type        = string
  default     = null
}

variable "search_master_user_arn" {
  description = "IAM role mapped to the OpenSearch admin."
  type        = string
  default     = null
}

variable "private_subnet_ids" {
  description = "Private subnets of the warehouse, the domain and the stages that reach them."
  type        = list(string)
  default     = []
}

variable "warehouse_security_group_ids" {
  description = "Security groups of the warehouse."
  type        = list(string)
  default     = []
}

variable "search_security_group_ids" {
  description = "Security groups of the domain."
  type        = list(string)
  default     = []
}

variable "stage_security_group_ids" {
  description = "Security groups of the stages inside the VPC."
  type        = list(string)
  default     = []
}

variable "ingest_endpoint" {
  description = "http_api (API Gateway HTTP API in front of ingest) or function_url (ingest's own function URL: no API Gateway request charge; only behind a CDN that sends the origin header, origin_verify_secret_arn, whose WAF rate-limits it; api_authorizer write_key or none). See modules/ingest_api."
  type        = string
  default     = "http_api"

  validation {
    condition     = contains(["http_api", "function_url"], var.ingest_endpoint)
    error_message = "ingest_endpoint must be http_api or function_url."
  }
}

variable "api_authorizer" {
  description = "write_key (per-site keys in the URL, checked by ingest), jwt, iam, or none."
  type        = string
  default     = "write_key"
}

variable "jwt_issuer" {
  description = "JWT issuer."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "JWT audiences."
  type        = list(string)
  default     = []
}

variable "cors_allow_origins" {
  description = "Origins of the web players allowed to read ingest's answers (none by default)."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "Addresses subscribed to the alerts."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Let destroy remove data (test stacks only)."
  type        = bool
  default     = false
}

variable "enforce_tls" {
  description = "Lake bucket policy denying non-TLS requests (false only against the local emulator)."
  type        = bool
  default     = true
}

variable "create_event_source_mappings" {
  description = "Create the stages' event source mappings (false: the local runtime plays them)."
  type        = bool
  default     = true
}

variable "log_level" {
  description = "The stages' application log level (AWS_LAMBDA_LOG_LEVEL): TRACE, DEBUG or INFO (see modules/stage_function)."
  type        = string
  default     = "INFO"
}

variable "system_log_level" {
  description = "The level of Lambda's own lines in every stage's logs: DEBUG, INFO or WARN (see modules/stage_function). WARN, the default, drops each invocation's START, END and REPORT lines (INFO): at 100M events a day they were more than half the log bytes (`sluice cost`). Duration, Errors and Throttles remain as the functions' CloudWatch metrics; INFO brings back the per-invocation REPORT figures (init duration, max memory used)."
  type        = string
  default     = "WARN"
}

variable "enable_tracing" {
  description = "X-Ray active tracing on every stage. Off by default: sampled traces are billed per trace recorded (`sluice cost --goals` prices them as a lever); the stages' logs and metrics remain."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = { application = "sluice" }
}

variable "origin_verify_secret_arn" {
  description = "When a CDN sits in front of ingest (modules/edge): the secret holding the header value it adds; ingest refuses requests without it. Null: no CDN."
  type        = string
  default     = null
}

variable "capacity" {
  description = "Sizing from `sluice plan` (terraform/envs/aws/capacity.auto.tfvars.json): shards, event source batching, Lambda memory, lake buffering. Fields left out keep their defaults."
  type = object({
    on_demand_streams      = optional(bool)
    raw_shards             = optional(number, 2)
    clean_shards           = optional(number, 2)
    processor              = optional(object({ batch_size = number, batching_window_seconds = number, parallelization_factor = number }))
    indexer                = optional(object({ batch_size = number, batching_window_seconds = number, parallelization_factor = number }))
    monitor                = optional(object({ batch_size = number, batching_window_seconds = number, parallelization_factor = number }))
    memory_mb              = optional(map(number), {})
    lake_buffering_seconds = optional(number, 60)
    lake_buffering_mb      = optional(number, 128)
  })
  default = {}

  validation {
    condition     = var.capacity.raw_shards >= 1 && var.capacity.clean_shards >= 1 && alltrue([for m in values(var.capacity.memory_mb) : m >= 128 && m <= 10240])
    error_message = "capacity: shards must be at least 1 and memory_mb 128..10240."
  }
}

variable "cmcd_unreadable_rate_threshold" {
  description = "Alarm when more than this many CMCD report lines per accepted event could not be read at all (the monitoring module's alarm)."
  type        = number
  default     = 0.01
}

variable "cmcd_keys_dropped_rate_threshold" {
  description = "Alarm when ingest drops more than this many CMCD keys per accepted event (null: no such alarm)."
  type        = number
  default     = null
}

# One object, not loose ARNs: whether the processor has this input must be known at plan time
# (it decides a mapping and grants), while the ARNs of a stream made in the same apply are not.
# The starting position: TRIM_HORIZON reads every line the stream still holds (at most its 24 h;
# each event keeps the line's arrival time on the stream as its receive time, so a backlog read
# late is judged in the windows it arrived in, not as a burst now; 24 h is within the processor's
# lateness bound). LATEST would lose the
# lines written while the mapping is being created, which takes minutes (AWS Lambda Developer
# Guide, stream starting positions); the accounting covers every line that reached the stream.
variable "cdn_logs" {
  description = "The processor's second input, a CloudFront real-time log stream (modules/cdn_logs); null: none. stream_arn and its kms_key_arn (kms:Decrypt); the lines' field order from exactly one of realtime_log_config_arn (asked of CloudFront with cloudfront:GetRealtimeLogConfig, as is the sampling rate) or fields with sampling_rate (the local CDN stand-in: the emulator has no real-time log API); starting_position of the new mapping (TRIM_HORIZON: every line the stream holds; LATEST)."
  type = object({
    stream_arn              = string
    kms_key_arn             = string
    realtime_log_config_arn = optional(string)
    fields                  = optional(list(string))
    sampling_rate           = optional(number, 100)
    starting_position       = optional(string, "TRIM_HORIZON")
  })
  default = null

  validation {
    # Which one is known at plan time (fields from a file), unlike a configuration's ARN.
    condition     = var.cdn_logs == null || try((var.cdn_logs.fields == null) == (var.cdn_logs.realtime_log_config_arn != null), true)
    error_message = "cdn_logs needs exactly one of realtime_log_config_arn (the deployed configuration) or fields (the local stand-in's order)."
  }

  validation {
    condition     = var.cdn_logs == null || try(var.cdn_logs.fields == null || length(var.cdn_logs.fields) > 0, true)
    error_message = "cdn_logs.fields must name the fields in the order the lines carry them."
  }

  validation {
    condition     = var.cdn_logs == null || try(var.cdn_logs.sampling_rate >= 1 && var.cdn_logs.sampling_rate <= 100 && floor(var.cdn_logs.sampling_rate) == var.cdn_logs.sampling_rate, true)
    error_message = "cdn_logs.sampling_rate must be a whole number from 1 to 100 (CloudFront's range)."
  }

  validation {
    condition     = var.cdn_logs == null || try(contains(["TRIM_HORIZON", "LATEST"], var.cdn_logs.starting_position), true)
    error_message = "cdn_logs.starting_position must be TRIM_HORIZON or LATEST."
  }
}
