variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1 or us-gov-west-1."
  }
}

variable "environment" {
  description = "Environment tag (prod, staging, ...)."
  type        = string
  default     = "prod"
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "sluice"
}

variable "images" {
  description = "Stage -> image pinned by digest: images.auto.tfvars.json from `make tf-images`. Empty only for the first step, `terraform apply -target=module.registry` (the repositories the images are pushed to); any other plan needs every stage."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for uri in values(var.images) : can(regex("@sha256:[0-9a-f]{64}$", uri))])
    error_message = "every image must be pinned by digest (<repository>@sha256:<64 hex>): run `make push-images` then `make tf-images`."
  }
}

variable "lake_bucket_name" {
  description = "The lake bucket (globally unique; S3 bucket naming rules)."
  type        = string

  validation {
    # The S3 bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming rules").
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_name)) &&
      !strcontains(var.lake_bucket_name, "..") &&
      !can(regex("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$", var.lake_bucket_name)) &&
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", var.lake_bucket_name)) &&
      !can(regex("(-s3alias|--ol-s3|[.]mrap|--x-s3|--table-s3)$", var.lake_bucket_name))
    )
    error_message = "lake_bucket_name must follow the S3 bucket naming rules: 3 to 63 of a-z 0-9 . - , beginning and ending with a letter or digit, no \"..\", not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (two zones) for Redshift, OpenSearch and the stages that reach them."
  type        = list(string)
}

variable "warehouse_security_group_ids" {
  description = "Security groups of the warehouse."
  type        = list(string)
}

variable "search_security_group_ids" {
  description = "Security groups of the domain."
  type        = list(string)
}

variable "stage_security_group_ids" {
  description = "Security groups of the stages inside the VPC."
  type        = list(string)
}

variable "search_master_user_arn" {
  description = "IAM role mapped to the OpenSearch admin."
  type        = string
}

variable "api_authorizer" {
  description = "write_key (per-site keys in the URL: what browsers' sendBeacon and CMCD players can send), jwt or iam (server-side senders), or none."
  type        = string
  default     = "write_key"
}

variable "jwt_issuer" {
  description = "JWT issuer of the players' identity provider."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "JWT audiences."
  type        = list(string)
  default     = []
}

variable "cors_allow_origins" {
  description = "Origins of the web players (https://watch.example). Required: no page may read ingest's answers until its origin is listed."
  type        = list(string)

  validation {
    condition     = !contains(var.cors_allow_origins, "*")
    error_message = "cors_allow_origins must list the players' origins; \"*\" is not allowed in the aws stack."
  }
}

variable "alert_emails" {
  description = "Addresses subscribed to alerts and alarms."
  type        = list(string)
  default     = []
}

variable "create_edge" {
  description = "CloudFront with a WAF rate limit per client address in front of ingest (on by default; players then post to the ingest_url output)."
  type        = bool
  default     = true
}

variable "rate_limit_per_5_minutes" {
  description = "Requests one client address may make in any 5 minutes (WAF rate-based rule)."
  type        = number
  default     = 3000
}

variable "origin_verify_token" {
  description = "With create_edge: a long random value (openssl rand -hex 32) CloudFront adds to its requests; ingest refuses any request without it."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.origin_verify_token == null || try(length(var.origin_verify_token) >= 32, false)
    error_message = "origin_verify_token must be at least 32 characters (openssl rand -hex 32)."
  }
}

variable "capacity" {
  description = "Sizing written by `sluice plan` to capacity.auto.tfvars.json (shards, batching, memory, lake buffering); see the pipeline module's variable of the same name."
  type        = any
  default     = {}
}

variable "create_cdn_logs" {
  description = "CloudFront real-time logs for your media distribution: the log configuration, its Kinesis stream and the role CloudFront assumes (off by default; attach the cdn_logs output's realtime_log_config_arn to the distribution's cache behaviours, see modules/cdn_logs/README.md)."
  type        = bool
  default     = false
}

variable "cdn_logs_sampling_rate" {
  description = "With create_cdn_logs: the percentage of media requests logged (1..100; $0.01 per million lines logged)."
  type        = number
  default     = 100
}

variable "cdn_logs_request_headers" {
  description = "With create_cdn_logs: also log cs-headers, every request header (cookies and Authorization included) kept on the log stream for its 24 h. Needed only for players in CMCD header mode that send version-2 keys (they ride only in headers); the cmcd-* fields carry the version-1 keys either way."
  type        = bool
  default     = false
}

# --- the cost levers (terraform/README.md, "Cost levers"); `sluice plan` may write them ------

variable "ingest_endpoint" {
  description = "What CloudFront forwards to: http_api (API Gateway HTTP API, the default) or function_url (ingest's own function URL: no API Gateway request charge; needs create_edge, whose WAF rate-limits it and whose origin header ingest requires; api_authorizer write_key or none; run the ingest_endpoint output's invoke_permission_command once after the first apply)."
  type        = string
  default     = "http_api"

  validation {
    condition     = contains(["http_api", "function_url"], var.ingest_endpoint)
    error_message = "ingest_endpoint must be http_api or function_url."
  }
}

variable "warehouse_kind" {
  description = "provisioned (a Redshift cluster of warehouse_nodes x warehouse_node_type, billed every hour) or serverless (Redshift Serverless with warehouse_base_rpus, billed for the seconds it works)."
  type        = string
  default     = "provisioned"

  validation {
    condition     = contains(["provisioned", "serverless"], var.warehouse_kind)
    error_message = "warehouse_kind must be provisioned or serverless."
  }
}

variable "warehouse_node_type" {
  description = "With warehouse_kind = provisioned: the node type."
  type        = string
  default     = "ra3.xlplus"
}

variable "warehouse_nodes" {
  description = "With warehouse_kind = provisioned: the number of nodes (1 to 128)."
  type        = number
  default     = 2
}

variable "warehouse_base_rpus" {
  description = "With warehouse_kind = serverless: base capacity in RPUs (4, or 8 to 1024 in steps of 8)."
  type        = number
  default     = 8
}

variable "warehouse_max_rpus" {
  description = "With warehouse_kind = serverless: the most RPUs it may scale to, a ceiling on the bill (null: none of Sluice's)."
  type        = number
  default     = null
}

variable "search_instance_type" {
  description = "OpenSearch data node type."
  type        = string
  default     = "r6g.large.search"
}

variable "search_instance_count" {
  description = "OpenSearch data nodes."
  type        = number
  default     = 2

  validation {
    condition     = var.search_instance_count >= 1 && floor(var.search_instance_count) == var.search_instance_count
    error_message = "search_instance_count must be a whole number of at least 1."
  }
}

variable "search_volume_gb" {
  description = "EBS storage per OpenSearch data node, GB: search_hot_retention_days x daily index bytes x (1 + replicas) over the nodes, with headroom."
  type        = number
  default     = 100

  validation {
    condition     = var.search_volume_gb >= 10 && floor(var.search_volume_gb) == var.search_volume_gb
    error_message = "search_volume_gb must be a whole number of GB, at least 10 (OpenSearch Service's gp3 minimum)."
  }
}

variable "search_hot_retention_days" {
  description = "Days an event index stays on the data nodes before UltraWarm (search_warm_retention_days > 0) or deletion; the lake keeps every event, so this is only what is searched live. `sluice opensearch bootstrap --retention-days` installs it (output opensearch_index_lifecycle)."
  type        = number
  default     = 30
}

variable "search_warm_enabled" {
  description = "UltraWarm nodes for indices past their hot days (the domain's dedicated masters allow it). Off by default."
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

variable "system_log_level" {
  description = "The level of Lambda's own lines in every stage's logs: DEBUG, INFO or WARN. WARN (the default) drops each invocation's START, END and REPORT lines, more than half the log bytes at 100M events a day; Duration, Errors and Throttles remain as CloudWatch metrics. INFO brings back the per-invocation REPORT figures (init duration, max memory used)."
  type        = string
  default     = "WARN"
}

variable "enable_tracing" {
  description = "X-Ray active tracing on every stage (off by default: billed per sampled trace, priced by `sluice cost --goals`)."
  type        = bool
  default     = false
}
